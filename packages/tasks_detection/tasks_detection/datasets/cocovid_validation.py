"""Checks of a CocoVID annotation json (ImageNet VID as mmtracking / mmdet write it).

mmdet's ``BaseVideoDataset`` silently drops a box outside its image or of an unknown
category, and a missing frame only fails later, inside a dataloader worker. Training on a
set that lost labels that way is worse than an error, so these checks run first and name
the file, the entry and the field.
"""

from __future__ import annotations

import os.path as osp
from collections.abc import Sequence
from numbers import Real

from dlm_core.errors import DataError

#: Fields every entry of a CocoVID json needs, per top-level list.
REQUIRED_FIELDS = {
    'videos': ('id', 'name'),
    'images': ('id', 'file_name', 'height', 'width', 'frame_id', 'video_id'),
    'annotations': ('id', 'video_id', 'image_id', 'category_id', 'bbox'),
    'categories': ('id', 'name'),
}
#: Tolerance of the in-image check, in pixels (float round-off of converted boxes).
BOX_TOLERANCE = 1e-3


class CocoVIDAnnotationError(DataError):
    """An entry of a CocoVID json that a video object detection dataset cannot use."""


def _entry(data: dict, key: str, index: int) -> str:
    entry = data[key][index]
    ident = entry.get('id', '?') if isinstance(entry, dict) else '?'
    return f'{key}[{index}] (id {ident})'


def _check_categories(path: str, names: list[str], classes: list[str]) -> None:
    """mmdet's ``BaseVideoDataset`` (and ``CocoVideoMetric``) label a box by the rank of
    its category among the json's categories that are classes, and drop boxes of other
    categories: unless the json names the config's classes in the config's order, boxes
    would be dropped or the head's class k would be trained on another category."""
    unknown = [name for name in names if name not in classes]
    missing = [name for name in classes if name not in names]
    problems = []
    if unknown:
        problems.append(f'categories {unknown} are not among the classes')
    if missing:
        problems.append(f'no category is named {missing}')
    if not problems and names != classes:
        problems.append(
            'the categories list the classes in another order (mmdet numbers the classes in '
            "the json's order): reorder metainfo.classes or the json's categories"
        )
    if problems:
        raise CocoVIDAnnotationError(
            f'{path}: "categories" ({names}) differ from the config\'s {len(classes)} classes '
            f'{classes} (metainfo.classes, the classes the model was built for): '
            + '; '.join(problems)
        )


def check_cocovid_annotations(
    data: dict,
    path: str,
    img_prefix: str | None = None,
    classes: Sequence[str] | None = None,
) -> None:
    """Raise :class:`CocoVIDAnnotationError` naming the first bad entry of ``data``.

    Args:
        data: the loaded json.
        path: the json's path (named in errors).
        img_prefix: folder that ``images[*].file_name`` is relative to; when given, every
            frame file must exist.
        classes: the config's classes (the model head's, in its order): ``categories``
            must name exactly these, in this order (mmdet numbers the classes in the
            json's order).
    """
    if not isinstance(data, dict):
        raise CocoVIDAnnotationError(f'{path}: expected a json object, got {type(data).__name__}')
    for key, fields in REQUIRED_FIELDS.items():
        if not isinstance(data.get(key), list):
            raise CocoVIDAnnotationError(
                f'{path}: top-level field "{key}" must be a list of {{{", ".join(fields)}}} '
                f'objects (CocoVID layout), got {type(data.get(key)).__name__}'
            )
        for index, entry in enumerate(data[key]):
            missing = [f for f in fields if not isinstance(entry, dict) or f not in entry]
            if missing:
                raise CocoVIDAnnotationError(
                    f'{path}: {_entry(data, key, index)} lacks field(s) {missing}; '
                    f'a {key[:-1]} needs {list(fields)}'
                )
    category_names = {c['id']: c['name'] for c in data['categories']}
    if classes is not None:
        _check_categories(path, [c['name'] for c in data['categories']], list(classes))
    video_ids = {v['id'] for v in data['videos']}
    images = {}
    for index, image in enumerate(data['images']):
        where = f'{path}: {_entry(data, "images", index)}'
        if image['video_id'] not in video_ids:
            raise CocoVIDAnnotationError(
                f'{where}: field "video_id" is {image["video_id"]!r}, expected the id of an '
                f'entry of "videos"'
            )
        for field in ('height', 'width'):
            if not isinstance(image[field], Real) or image[field] <= 0:
                raise CocoVIDAnnotationError(
                    f'{where}: field "{field}" is {image[field]!r}, expected a positive number'
                )
        if img_prefix is not None:
            file = osp.join(img_prefix, image['file_name'])
            if not osp.isfile(file):
                raise CocoVIDAnnotationError(
                    f'{where}: field "file_name" names {image["file_name"]!r}, but the frame '
                    f'{file} does not exist (file_name is relative to {img_prefix})'
                )
        images[image['id']] = image
    for index, ann in enumerate(data['annotations']):
        where = f'{path}: {_entry(data, "annotations", index)}'
        image = images.get(ann['image_id'])
        if image is None:
            raise CocoVIDAnnotationError(
                f'{where}: field "image_id" is {ann["image_id"]!r}, expected the id of an entry '
                f'of "images"'
            )
        if ann['category_id'] not in category_names:
            raise CocoVIDAnnotationError(
                f'{where}: field "category_id" is {ann["category_id"]!r}, an unknown category; '
                f'expected one of the ids of "categories" {sorted(category_names)}'
            )
        bbox = ann['bbox']
        if (
            not isinstance(bbox, list)
            or len(bbox) != 4
            or not all(isinstance(v, Real) and not isinstance(v, bool) for v in bbox)
        ):
            raise CocoVIDAnnotationError(
                f'{where}: field "bbox" is {bbox!r}, expected [x, y, w, h] (four numbers, pixels)'
            )
        x, y, w, h = bbox
        if w <= 0 or h <= 0:
            raise CocoVIDAnnotationError(
                f'{where}: field "bbox" {bbox} has a non-positive width or height; expected '
                '[x, y, w, h] with w > 0 and h > 0'
            )
        tol = BOX_TOLERANCE
        if x < -tol or y < -tol or x + w > image['width'] + tol or y + h > image['height'] + tol:
            raise CocoVIDAnnotationError(
                f'{where}: field "bbox" {bbox} lies outside its image {image["file_name"]} '
                f'({image["width"]}x{image["height"]}); expected 0 <= x, x + w <= width, '
                '0 <= y, y + h <= height'
            )

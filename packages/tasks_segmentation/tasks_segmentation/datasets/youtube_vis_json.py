"""Reading an official YouTube-VIS json (2019 layout), checked before any training starts.

The official file lists per video ``{id, width, height, length, file_names}`` and per
instance track ``{id, video_id, category_id, segmentations, bboxes, areas, iscrowd}``, one
entry per frame (an RLE dict, or ``null`` where the instance is not visible). A wrong file
otherwise fails deep inside a data worker, or silently trains on shifted frames; here it
fails at once with the file, the video, the field and the expected form.
"""

from __future__ import annotations

import json

from dlm_core.errors import DataError

#: One entry of ``segmentations``.
RLE_FORM = 'null or an RLE dict {"size": [height, width], "counts": str or list of int}'


class YouTubeVISFormatError(DataError):
    """A YouTube-VIS json that does not have the official form."""


def video_name(video: dict) -> str:
    """The folder of a video's frames (how YouTube-VIS names its videos)."""
    file_names = video.get('file_names') or ['?']
    return str(file_names[0]).replace('\\', '/').split('/')[0]


def load_youtube_vis_json(path: str, shown_as: str | None = None) -> dict:
    """Read and check the json at ``path``; errors name ``shown_as`` (default: ``path``)."""
    with open(path) as file:
        data = json.load(file)
    check_youtube_vis(data, shown_as or path)
    return data


def check_youtube_vis(data, source: str) -> None:
    """Raise :class:`YouTubeVISFormatError` on the first departure from the official form."""

    def fail(where: str, message: str):
        raise YouTubeVISFormatError(f'{source}: {where}: {message}')

    if not isinstance(data, dict):
        fail('top level', f'expected a json object, got {type(data).__name__}')
    for key in ('videos', 'categories'):
        if not isinstance(data.get(key), list):
            fail(f'"{key}"', 'expected a list (the official YouTube-VIS json has one)')
    if not isinstance(data.get('annotations', []), list):
        fail('"annotations"', 'expected a list of instance tracks')

    category_ids = set()
    for index, category in enumerate(data['categories']):
        if not isinstance(category, dict) or not isinstance(category.get('id'), int):
            fail(f'categories[{index}]', 'expected {"id": int, "name": str}')
        if not isinstance(category.get('name'), str):
            fail(f'category {category["id"]}', '"name" must be a string')
        if category['id'] in category_ids:
            fail(f'category {category["id"]}', 'the id is listed twice')
        category_ids.add(category['id'])

    videos = {}
    for index, video in enumerate(data['videos']):
        if not isinstance(video, dict) or 'id' not in video:
            fail(f'videos[{index}]', 'expected an object with an "id"')
        where = f'video {video["id"]} ("{video_name(video)}")'
        if video['id'] in videos:
            fail(where, 'the video id is listed twice')
        for key in ('length', 'height', 'width'):
            if not isinstance(video.get(key), int) or video[key] <= 0:
                fail(where, f'"{key}" must be a positive int, got {video.get(key)!r}')
        file_names = video.get('file_names')
        if not isinstance(file_names, list) or len(file_names) != video['length']:
            count = len(file_names) if isinstance(file_names, list) else file_names
            fail(
                where,
                f'"file_names" lists {count} frames, but "length" is {video["length"]} '
                '(expected every frame listed, one path per frame)',
            )
        videos[video['id']] = video

    for index, ann in enumerate(data.get('annotations', [])):
        if not isinstance(ann, dict):
            fail(f'annotations[{index}]', 'expected an object (one instance track)')
        video = videos.get(ann.get('video_id'))
        if video is None:
            fail(
                f'annotation {ann.get("id", index)}',
                f'"video_id" {ann.get("video_id")!r} is not the id of any video in "videos"',
            )
        where = f'video {video["id"]} ("{video_name(video)}"), annotation {ann.get("id", index)}'
        if ann.get('category_id') not in category_ids:
            fail(
                where,
                f'"category_id" {ann.get("category_id")!r} is not in "categories" '
                f'(ids {sorted(category_ids)})',
            )
        length = video['length']
        for key in ('segmentations', 'bboxes', 'areas'):
            values = ann.get(key)
            if values is None and key != 'segmentations':
                continue
            if not isinstance(values, list) or len(values) != length:
                count = len(values) if isinstance(values, list) else values
                fail(
                    where,
                    f'"{key}" has {count} entries, but the video\'s "length" is {length} '
                    f'(expected one entry per frame, null where the instance is not visible)',
                )
        size = [video['height'], video['width']]
        for frame, rle in enumerate(ann['segmentations']):
            if rle is None:
                continue
            if (
                not isinstance(rle, dict)
                or not isinstance(rle.get('counts'), (str, list))
                or list(rle.get('size', [])) != size
            ):
                fail(
                    f'{where}, frame {frame}',
                    f'"segmentations" entry must be {RLE_FORM} with size {size} (the video\'s '
                    f'height and width), got {_short(rle)}',
                )
        for frame, box in enumerate(ann.get('bboxes') or []):
            problem = _box_problem(box, video['width'], video['height'])
            if problem:
                fail(
                    f'{where}, frame {frame}',
                    f'"bboxes" entry {_short(box)} {problem}; expected null or [x, y, w, h] '
                    f'in pixels with w, h > 0 inside the {video["width"]}x{video["height"]} '
                    'frame',
                )


#: Tolerance of the in-frame box check, in pixels (round-off of converted boxes).
BOX_TOLERANCE = 1e-3


def _box_problem(box, width: int, height: int) -> str | None:
    """Why ``box`` (one ``bboxes`` entry) is unusable, or ``None``; mmdet would otherwise
    clip or drop such a box silently and train on a wrong target."""
    if box is None:
        return None
    if (
        not isinstance(box, list)
        or len(box) != 4
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in box)
    ):
        return 'is not four numbers'
    x, y, w, h = box
    if w <= 0 or h <= 0:
        return 'has a non-positive width or height'
    tol = BOX_TOLERANCE
    if x < -tol or y < -tol or x + w > width + tol or y + h > height + tol:
        return 'lies outside the frame'
    return None


def _short(value, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + '...'


def is_cocovid_layout(data: dict) -> bool:
    """Whether ``data`` is mmdet's converted (CocoVID) json, which lists ``images`` and no
    ``file_names`` per video, rather than the official YouTube-VIS json."""
    videos = data.get('videos') or [{}]
    return 'images' in data and 'file_names' not in videos[0]

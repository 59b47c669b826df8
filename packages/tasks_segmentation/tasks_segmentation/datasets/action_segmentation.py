"""The MS-TCN / ASFormer data layout of 50Salads, Breakfast and GTEA (docs/method.md §6).

::

    <data_root>/features/<video>.npy        (C, T) per-frame features (I3D: C = 2048)
    <data_root>/groundTruth/<video>.txt     one class name per frame (T lines)
    <data_root>/mapping.txt                 "<index> <class name>" per line
    <data_root>/splits/{train,test}.split<k>.bundle   one "<video>.txt" per line

Everything is checked when the dataset is built, so a broken file stops the run before
the first epoch with an error naming it: a feature file whose length disagrees with its
ground truth, a label missing from ``mapping.txt``, a bundle naming a missing video.
Blank lines are no entries (a trailing one in a ground-truth file is no frame).

The classes are the config's when it names them (``metainfo=dict(classes=[...])``, the
head's order); ``mapping.txt`` must then name the same classes, and labels are matched by
name. ``num_classes`` (the head's) must count the classes either way.
"""

from __future__ import annotations

import os.path as osp
from collections.abc import Sequence

import numpy as np
from mmengine.dataset import BaseDataset

from dlm_core.class_names import check_num_classes, class_names
from dlm_core.errors import ConfigError, DataError, MissingFileError, UnknownLabelError

from ..registry import DATASETS


def read_mapping(path: str) -> list[str]:
    """Class names in index order from ``mapping.txt`` (indices must be 0..K-1)."""
    if not osp.isfile(path):
        raise MissingFileError(f'class mapping file not found: {path}')
    names = {}
    with open(path) as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            parts = line.split()
            if len(parts) != 2 or not parts[0].lstrip('-').isdigit():
                raise DataError(
                    f'{path}: line {number} is {line.rstrip()!r}, expected "<index> <class name>"'
                )
            index, name = int(parts[0]), parts[1]
            if index in names or name in names.values():
                raise DataError(f'{path}: line {number} repeats index {index} or class {name!r}')
            names[index] = name
    if sorted(names) != list(range(len(names))) or not names:
        raise DataError(f'{path}: class indices must be 0..K-1 without gaps, got {sorted(names)}')
    return [names[i] for i in range(len(names))]


def read_bundle(path: str) -> list[str]:
    """Video names of a split bundle (lines ``<video>.txt`` or ``<video>``)."""
    if not osp.isfile(path):
        raise MissingFileError(f'split bundle not found: {path}')
    with open(path) as f:
        lines = [line.strip() for line in f]
    return [line[:-4] if line.endswith('.txt') else line for line in lines if line]


def read_labels(path: str, index_of: dict, mapping_path: str) -> np.ndarray:
    """Per-frame class indices of one ground-truth file."""
    with open(path) as f:
        names = [line.strip() for line in f]
    while names and not names[-1]:
        names.pop()
    labels = np.empty(len(names), np.int64)
    for number, name in enumerate(names):
        if name not in index_of:
            raise UnknownLabelError(
                f'{path}: line {number + 1} has label {name!r}, which is not in '
                f'{mapping_path} (its classes: {", ".join(index_of)})'
            )
        labels[number] = index_of[name]
    return labels


@DATASETS.register_module()
class ActionSegmentationDataset(BaseDataset):
    """Videos of one split bundle, with per-frame labels and (optionally) their frames.

    Each item's info: ``video``, ``feature_path``, ``gt_labels`` (full frame rate),
    ``num_frames``, ``sample_rate``, ``fps`` and, when ``data_prefix['video']`` is set,
    ``filename`` (``<video><video_suffix>``) for a frame-loading pipeline (mmaction2's
    ``DecordInit`` ...), so video models can see the same samples.

    Args:
        ann_file: the split bundle, e.g. ``'splits/train.split1.bundle'``.
        data_root: the dataset folder.
        data_prefix: folders of ``features``, ``gt`` (ground truth) and optionally
            ``video`` (frames), relative to ``data_root``.
        mapping_file: the class mapping, relative to ``data_root``.
        sample_rate: models read every ``sample_rate``-th feature frame (2 for 50Salads).
        fps: frame rate of the features and labels.
        video_suffix: file suffix of the videos under ``data_prefix['video']``.
        length_tolerance: frames a feature file may differ from its ground truth (the
            longer one is cut); 0 makes any difference an error.
        num_classes: the head's ``num_classes``; when given, the classes must count it.
        metainfo: ``dict(classes=[...])``: the head's classes by name, in its order
            (``mapping.txt`` must name the same ones); without it, ``mapping.txt``'s order.
    """

    def __init__(
        self,
        ann_file: str,
        data_root: str = '',
        data_prefix: dict | None = None,
        mapping_file: str = 'mapping.txt',
        sample_rate: int = 1,
        fps: float = 30.0,
        video_suffix: str = '.mp4',
        length_tolerance: int = 0,
        num_classes: int | None = None,
        pipeline: Sequence = (),
        test_mode: bool = False,
        **kwargs,
    ):
        if int(sample_rate) < 1:
            raise ConfigError(f'sample_rate must be a positive integer, got {sample_rate}')
        self.mapping_file = mapping_file
        self.sample_rate = int(sample_rate)
        self.fps = float(fps)
        self.video_suffix = video_suffix
        self.length_tolerance = int(length_tolerance)
        self.num_classes = num_classes
        prefix = dict(features='features', gt='groundTruth')
        prefix.update({k: v for k, v in (data_prefix or {}).items() if v is not None})
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=prefix,
            pipeline=list(pipeline),
            test_mode=test_mode,
            **kwargs,
        )

    def _join_prefix(self):
        super()._join_prefix()
        if self.data_root and not osp.isabs(self.mapping_file):
            self.mapping_file = osp.join(self.data_root, self.mapping_file)

    def load_data_list(self) -> list[dict]:
        classes = self._classes(read_mapping(self.mapping_file))
        self._metainfo['classes'] = classes
        index_of = {name: i for i, name in enumerate(classes)}
        feature_dir, gt_dir = self.data_prefix['features'], self.data_prefix['gt']
        video_dir = self.data_prefix.get('video')
        data_list = []
        for video in read_bundle(self.ann_file):
            feature_path = osp.join(feature_dir, f'{video}.npy')
            gt_path = osp.join(gt_dir, f'{video}.txt')
            for kind, path in (('feature file', feature_path), ('ground-truth file', gt_path)):
                if not osp.isfile(path):
                    raise MissingFileError(
                        f'{self.ann_file} names video {video!r}, but its {kind} {path} '
                        'does not exist'
                    )
            labels = read_labels(gt_path, index_of, self.mapping_file)
            shape = _npy_shape(feature_path)
            if len(shape) != 2:
                raise DataError(
                    f'{feature_path}: features must be an array of shape (C, T), got shape {shape}'
                )
            difference = shape[1] - len(labels)
            if abs(difference) > self.length_tolerance:
                raise DataError(
                    f'{feature_path} has {shape[1]} frames (shape (C, T) = {shape}) but '
                    f'{gt_path} labels {len(labels)} frames; they must agree (or set '
                    f'length_tolerance >= {abs(difference)} to cut the longer one)'
                )
            num_frames = min(shape[1], len(labels))
            info = dict(
                video=video,
                feature_path=feature_path,
                gt_path=gt_path,
                gt_labels=labels[:num_frames],
                num_frames=num_frames,
                feature_shape=shape,
                sample_rate=self.sample_rate,
                fps=self.fps,
            )
            if video_dir is not None:
                info['filename'] = osp.join(video_dir, f'{video}{self.video_suffix}')
                info['start_index'] = 0
            data_list.append(info)
        if not data_list:
            raise DataError(f'{self.ann_file} names no video')
        return data_list

    def _classes(self, mapped: list[str]) -> tuple[str, ...]:
        """The config's classes (checked against ``mapping.txt``), else the mapping's."""
        where = type(self).__name__
        given = self._metainfo.get('classes')
        if given:
            classes = class_names(given, f'{where} metainfo.classes')
            unknown = [name for name in mapped if name not in classes]
            missing = [name for name in classes if name not in mapped]
            if unknown or missing:
                raise DataError(
                    f"{self.mapping_file} names the classes {mapped}, but the config's "
                    f'metainfo.classes (the classes the model was built for) are {list(classes)}'
                    f': {unknown or "none"} not among them, {missing or "none"} missing'
                )
        else:
            classes = tuple(mapped)
        check_num_classes(classes, self.num_classes, f'{where} ({self.mapping_file})')
        return classes


def _npy_shape(path: str) -> tuple:
    """The shape of a ``.npy`` file, read from its header only."""
    try:
        return tuple(np.load(path, mmap_mode='r').shape)
    except (ValueError, OSError) as err:
        raise DataError(f'{path}: not a readable .npy array ({err})') from err

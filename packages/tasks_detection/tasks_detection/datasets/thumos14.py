"""THUMOS14 as ActionFormer reads it: ``thumos14.json`` plus per-video ``<vid>.npy`` features.

``{"database": {vid: {"subset": "Validation" | "Test", "duration": s, "fps": f,
"annotations": [{"label": name, "segment": [t0, t1], "label_id": k}]}}}``; features
``(T, C)`` where step ``t`` is the snippet of ``num_frames`` frames starting at frame
``t * feat_stride``. ActionFormer trains on the validation videos and tests on the test
videos. Entries that cannot be right are errors naming the file, the video and the field.
"""

from __future__ import annotations

import os.path as osp

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.fileio import load

from dlm_core.errors import DataError, MissingFileError

from ..registry import DATASETS


def _fail(ann_file: str, where: str, message: str):
    raise DataError(f'{ann_file}: {where}: {message}')


def read_thumos14_json(ann_file: str) -> tuple[dict, list[str]]:
    """Validated ``database`` and the class names ordered by ``label_id``."""
    payload = load(ann_file)
    if not isinstance(payload, dict) or not isinstance(payload.get('database'), dict):
        _fail(ann_file, 'top level', 'expected {"database": {video_id: {...}}}')
    database = payload['database']
    label_ids: dict[str, int] = {}
    for vid, video in database.items():
        where = f'database["{vid}"]'
        if not isinstance(video, dict):
            _fail(ann_file, where, f'expected an object, got {type(video).__name__}')
        for key in ('subset', 'duration', 'annotations'):
            if key not in video:
                _fail(ann_file, where, f'missing field "{key}"')
        duration = video['duration']
        if not isinstance(duration, (int, float)) or duration <= 0:
            _fail(ann_file, f'{where}.duration', f'expected a positive number, got {duration!r}')
        fps = video.get('fps')
        if fps is not None and (not isinstance(fps, (int, float)) or fps <= 0):
            _fail(ann_file, f'{where}.fps', f'expected a positive number, got {fps!r}')
        for index, ann in enumerate(video['annotations']):
            at = f'{where}.annotations[{index}]'
            segment, label = ann.get('segment'), ann.get('label')
            if not isinstance(label, str):
                _fail(ann_file, f'{at}.label', f'expected a class name, got {label!r}')
            if (
                not isinstance(segment, (list, tuple))
                or len(segment) != 2
                or not all(isinstance(t, (int, float)) for t in segment)
            ):
                _fail(ann_file, f'{at}.segment', f'expected [t_start, t_end], got {segment!r}')
            if not 0 <= segment[0] < segment[1] or segment[0] >= duration:
                _fail(
                    ann_file,
                    f'{at}.segment',
                    f'{segment} is not a segment 0 <= t_start < t_end starting within the '
                    f'video (duration {duration} s)',
                )
            if 'label_id' in ann:
                known = label_ids.setdefault(label, int(ann['label_id']))
                if known != int(ann['label_id']):
                    _fail(
                        ann_file,
                        f'{at}.label_id',
                        f'"{label}" has label_id {ann["label_id"]} here and {known} before',
                    )
    names = sorted({a['label'] for v in database.values() for a in v['annotations']})
    if label_ids:
        missing = sorted(set(names) - set(label_ids))
        if missing:
            _fail(ann_file, 'annotations', f'labels without label_id: {missing}')
        if len(set(label_ids.values())) != len(label_ids):
            _fail(ann_file, 'label_id', f'two labels share a label_id: {label_ids}')
        names = sorted(label_ids, key=label_ids.get)  # class index = rank of its label_id
    return database, names


@DATASETS.register_module()
class Thumos14Dataset(BaseDataset):
    """Untrimmed videos with action segments, read from the THUMOS14 json layout.

    Args:
        ann_file: the json.
        subset: ``'Validation'`` (ActionFormer's training set) or ``'Test'``.
        data_prefix: ``dict(feat=folder of <vid>.npy)``, and ``video=folder of <vid>.mp4``
            where the videos are read too (``LoadSnippetFrames``).
        feat_stride, num_frames: frames between snippets and frames per snippet.
        default_fps: fps of videos whose entry has none.
        feat_ext: feature file suffix.
        skip_empty: drop training videos without annotations (as ActionFormer does).
    """

    METAINFO = dict(classes=())

    def __init__(
        self,
        ann_file: str,
        pipeline: list,
        subset: str = 'Validation',
        data_prefix: dict | None = None,
        feat_stride: int = 4,
        num_frames: int = 16,
        default_fps: float | None = None,
        feat_ext: str = '.npy',
        video_ext: str = '.mp4',
        skip_empty: bool | None = None,
        test_mode: bool = False,
        **kwargs,
    ):
        self.subset = subset
        self.feat_stride, self.num_frames = feat_stride, num_frames
        self.default_fps = default_fps
        self.feat_ext, self.video_ext = feat_ext, video_ext
        self.skip_empty = (not test_mode) if skip_empty is None else skip_empty
        _, classes = read_thumos14_json(ann_file)
        metainfo = dict(kwargs.pop('metainfo', None) or {})
        metainfo.setdefault('classes', tuple(classes))
        super().__init__(
            ann_file=ann_file,
            pipeline=pipeline,
            data_prefix=data_prefix or dict(feat=''),
            test_mode=test_mode,
            metainfo=metainfo,
            **kwargs,
        )

    def load_data_list(self) -> list[dict]:
        database, _ = read_thumos14_json(self.ann_file)
        classes = list(self.metainfo['classes'])
        data_list = []
        for vid, video in sorted(database.items()):
            if video['subset'].lower() != self.subset.lower():
                continue
            fps = video.get('fps', self.default_fps)
            if fps is None:
                _fail(self.ann_file, f'database["{vid}"].fps', 'missing and no default_fps set')
            segments, labels = [], []
            for ann in video['annotations']:
                if ann['label'] not in classes:
                    _fail(
                        self.ann_file,
                        f'database["{vid}"]',
                        f'label "{ann["label"]}" is not one of the classes {classes}',
                    )
                t0, t1 = ann['segment']
                segments.append([float(t0), min(float(t1), float(video['duration']))])
                labels.append(classes.index(ann['label']))
            if self.skip_empty and not segments:
                continue
            info = dict(
                video_id=vid,
                feat_path=osp.join(self.data_prefix['feat'], vid + self.feat_ext),
                duration=float(video['duration']),
                fps=float(fps),
                feat_stride=self.feat_stride,
                num_frames=self.num_frames,
                segments_sec=segments,
                labels=labels,
            )
            if self.data_prefix.get('video'):
                info['video_path'] = osp.join(self.data_prefix['video'], vid + self.video_ext)
            self._check_files(vid, info)
            data_list.append(info)
        if not data_list:
            _fail(self.ann_file, 'database', f'no video of subset "{self.subset}"')
        return data_list

    def _check_files(self, vid: str, info: dict) -> None:
        """The feature file (when a feature folder is set) and the video (when a video
        folder is set) of ``vid`` must be there, the features a ``(T, C)`` array: a missing
        file otherwise stops training inside a data worker, far from its cause."""
        where = f'database["{vid}"]'
        if self.data_prefix.get('feat'):
            path = info['feat_path']
            if not osp.isfile(path):
                raise MissingFileError(
                    f'{self.ann_file}: {where}: its feature file {path} does not exist '
                    f'(expected <data_prefix.feat>/<video id>{self.feat_ext}, shape (T, C))'
                )
            try:
                shape = np.load(path, mmap_mode='r').shape
            except (ValueError, OSError) as err:
                _fail(self.ann_file, where, f'feature file {path} is not a readable .npy ({err})')
            if len(shape) != 2:
                _fail(self.ann_file, where, f'features {path} have shape {shape}, expected (T, C)')
        video = info.get('video_path')
        if video is not None and not osp.isfile(video):
            raise MissingFileError(f'{self.ann_file}: {where}: its video {video} does not exist')

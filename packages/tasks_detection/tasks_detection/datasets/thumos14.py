"""THUMOS14 as ActionFormer reads it: ``thumos14.json`` plus per-video ``<vid>.npy`` features.

``{"database": {vid: {"subset": "Validation" | "Test", "duration": s, "fps": f,
"annotations": [{"label": name, "segment": [t0, t1], "label_id": k}]}}}``; features
``(T, C)`` where step ``t`` is the snippet of ``num_frames`` frames starting at frame
``t * feat_stride``. ActionFormer trains on the validation videos and tests on the test
videos. Entries that cannot be right are errors naming the file, the video and the field.

The classes are the config's (``metainfo=dict(classes=[...])``, the names the model's head
was built for, in its order), never the labels the json happens to hold: a test json
using three of twenty classes still scores label ``k`` as the config's class ``k``.
"""

from __future__ import annotations

import os.path as osp
from collections.abc import Sequence

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.fileio import load

from dlm_core.class_names import check_num_classes, class_names
from dlm_core.errors import ConfigError, DataError, MissingFileError, UnknownLabelError

from ..registry import DATASETS


def _fail(ann_file: str, where: str, message: str):
    raise DataError(f'{ann_file}: {where}: {message}')


def read_thumos14_json(ann_file: str) -> dict:
    """The validated ``database`` of a THUMOS14-layout json."""
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
    if label_ids and len(set(label_ids.values())) != len(label_ids):
        _fail(ann_file, 'label_id', f'two labels share a label_id: {label_ids}')
    return database


def file_labels(database: dict) -> list[str]:
    """The labels a ``database`` holds, ordered by ``label_id`` (else by name): only for
    tools that score the file against itself (the trivial baselines), never a dataset's
    classes."""
    ids = {}
    for video in database.values():
        for ann in video['annotations']:
            ids.setdefault(ann['label'], ann.get('label_id'))
    return sorted(ids, key=lambda name: (ids[name] is None, ids[name] or 0, name))


def subset_truth(
    ann_file: str, database: dict, subset: str, classes: Sequence[str]
) -> dict[str, list[tuple[float, float, int]]]:
    """``{video: [(t_start, t_end, class index)]}`` of ``subset``, segments as the json
    gives them; a label that is not one of ``classes`` (the config's) is an error naming
    the file, the video and the label."""
    index_of = {name: k for k, name in enumerate(classes)}
    truth = {}
    for vid, video in sorted(database.items()):
        if video['subset'].lower() != subset.lower():
            continue
        items = []
        for ann in video['annotations']:
            if ann['label'] not in index_of:
                raise UnknownLabelError(
                    f'{ann_file}: database["{vid}"]: label "{ann["label"]}" is not one of the '
                    f"config's classes {list(classes)} (metainfo.classes, the classes the "
                    'model was built for)'
                )
            t0, t1 = ann['segment']
            items.append((float(t0), float(t1), index_of[ann['label']]))
        truth[vid] = items
    return truth


def config_classes(metainfo: dict | None, where: str) -> tuple[str, ...]:
    """The ``classes`` of a config's ``metainfo``, which must be given."""
    classes = (metainfo or {}).get('classes')
    if not classes:
        raise ConfigError(
            f"{where}: metainfo.classes is not set; give the class names the model's head "
            'was built for, in its order (e.g. metainfo=dict(classes=classes) with '
            'num_classes=len(classes)): the labels of the json are not the classes'
        )
    return class_names(classes, f'{where} metainfo.classes')


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
        metainfo: ``dict(classes=[...])``, required: the names of the model's classes in
            the order of its head; the json's labels must be among them.
        num_classes: the head's ``num_classes``; when given, ``classes`` must count it.
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
        metainfo: dict | None = None,
        num_classes: int | None = None,
        **kwargs,
    ):
        self.subset = subset
        self.feat_stride, self.num_frames = feat_stride, num_frames
        self.default_fps = default_fps
        self.feat_ext, self.video_ext = feat_ext, video_ext
        self.skip_empty = (not test_mode) if skip_empty is None else skip_empty
        where = type(self).__name__
        classes = config_classes(metainfo, where)
        check_num_classes(classes, num_classes, where)
        metainfo = dict(metainfo, classes=classes)
        super().__init__(
            ann_file=ann_file,
            pipeline=pipeline,
            data_prefix=data_prefix or dict(feat=''),
            test_mode=test_mode,
            metainfo=metainfo,
            **kwargs,
        )
        # the json the dataset reads, so that its metric can tell a different ground truth
        # (set after loading: MMEngine would read a metainfo value naming a file)
        self._metainfo['ann_file'] = self.ann_file

    def load_data_list(self) -> list[dict]:
        database = read_thumos14_json(self.ann_file)
        truth = subset_truth(self.ann_file, database, self.subset, self.metainfo['classes'])
        data_list = []
        for vid, items in truth.items():
            video = database[vid]
            fps = video.get('fps', self.default_fps)
            if fps is None:
                _fail(self.ann_file, f'database["{vid}"].fps', 'missing and no default_fps set')
            if self.skip_empty and not items:
                continue
            info = dict(
                video_id=vid,
                feat_path=osp.join(self.data_prefix['feat'], vid + self.feat_ext),
                duration=float(video['duration']),
                fps=float(fps),
                feat_stride=self.feat_stride,
                num_frames=self.num_frames,
                segments_sec=[[t0, min(t1, float(video['duration']))] for t0, t1, _ in items],
                labels=[label for _, _, label in items],
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

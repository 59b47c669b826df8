"""ImageNet VID in the CocoVID layout, through mmdet's ``BaseVideoDataset``.

One item is a video; with mmdet's ``TrackImgSampler`` an item is ``(video, key frame)``,
and the pipeline's first step (``UniformRefFrameSample`` for training,
``NeighbourRefFrameSample`` for testing) adds the reference frames the temporal stage of
the detector fuses. The json is validated before anything else (see
:mod:`.cocovid_validation`).
"""

from __future__ import annotations

import json

from mmdet.datasets import BaseVideoDataset
from mmengine.fileio import get_local_path

from dlm_core.class_names import checked_metainfo_classes

from ..registry import DATASETS
from .cocovid_validation import check_cocovid_annotations


@DATASETS.register_module()
class ImagenetVIDDataset(BaseVideoDataset):
    """ImageNet VID (30 classes by default; a config's ``metainfo`` names others).

    Unlike mmdet's base, a test-mode item ``(video, frame)`` is a key frame *with* its
    reference frames: the whole video goes through the pipeline, whose frame sampler picks
    the frames, so training and testing share one pipeline layout.

    Args:
        num_classes: the head's ``num_classes``; when given, ``classes`` must count it.
    """

    METAINFO = dict(
        classes=(
            'airplane', 'antelope', 'bear', 'bicycle', 'bird', 'bus', 'car', 'cattle', 'dog',
            'domestic_cat', 'elephant', 'fox', 'giant_panda', 'hamster', 'horse', 'lion',
            'lizard', 'monkey', 'motorcycle', 'rabbit', 'red_panda', 'sheep', 'snake',
            'squirrel', 'tiger', 'train', 'turtle', 'watercraft', 'whale', 'zebra',
        )
    )  # fmt: skip

    def __init__(self, *args, num_classes: int | None = None, **kwargs):
        self.num_classes = num_classes
        super().__init__(*args, **kwargs)

    def _load_metainfo(self, metainfo=None) -> dict:
        # a class list given with --cfg-options arrives with its numbers parsed ('3' -> 3)
        loaded = super()._load_metainfo(metainfo)
        return checked_metainfo_classes(loaded, self.num_classes, type(self).__name__)

    def load_data_list(self):
        with get_local_path(self.ann_file) as local_path, open(local_path) as file:
            data = json.load(file)
        check_cocovid_annotations(
            data,
            self.ann_file,
            img_prefix=self.data_prefix.get('img_path'),
            classes=self.metainfo['classes'],
        )
        return super().load_data_list()

    def prepare_data(self, idx):
        if self.test_mode and isinstance(idx, tuple):
            video_idx, frame_idx = idx
            data_info = self.get_data_info(video_idx)
            data_info['key_frame_id'] = frame_idx
            return self.pipeline(data_info)
        if self.test_mode:
            raise TypeError(
                f'{type(self).__name__} in test mode takes (video, frame) indices (use '
                f"mmdet's TrackImgSampler as the dataloader's sampler), got {idx!r}"
            )
        return super().prepare_data(idx)

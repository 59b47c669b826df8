"""mmaction2's ``AVADataset`` and ``AVAKineticsDataset``, with their CSV checked first.

Everything else (parsing, exclusions, proposals, frame sampling) is mmaction2's own.
"""

from __future__ import annotations

from mmaction.datasets import AVADataset, AVAKineticsDataset

from dlm_core.errors import ConfigError

from ..registry import DATASETS
from .ava_annotations import check_ava_annotations, read_label_ids


def _check(dataset, time_span) -> None:
    label_file = dataset.label_file
    if label_file is None:
        raise ConfigError(f'{type(dataset).__name__} needs label_file to check {dataset.ann_file}')
    frame_root = dataset.data_prefix.get('img') if dataset.check_frames else None
    check_ava_annotations(
        dataset.ann_file, read_label_ids(label_file), time_span, frame_root, dataset._FPS
    )


@DATASETS.register_module()
class ValidatedAVADataset(AVADataset):
    """``AVADataset`` whose annotation rows are checked (box, action id, timestamp).

    Args:
        check_frames: also check that each keyframe lies within the video's frame folder.
    """

    def __init__(self, *args, check_frames: bool = True, **kwargs):
        self.check_frames = check_frames
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> list[dict]:
        _check(self, lambda video_id: (self.timestamp_start, self.timestamp_end))
        return super().load_data_list()


@DATASETS.register_module()
class ValidatedAVAKineticsDataset(AVAKineticsDataset):
    """``AVAKineticsDataset`` (AVA videos plus Kinetics clips ``<id>_<start>_<end>``)
    whose annotation rows are checked."""

    def __init__(self, *args, check_frames: bool = True, **kwargs):
        self.check_frames = check_frames
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> list[dict]:
        _check(self, self.get_timestamp)
        return super().load_data_list()

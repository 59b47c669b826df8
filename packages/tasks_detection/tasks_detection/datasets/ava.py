"""mmaction2's ``AVADataset`` and ``AVAKineticsDataset``, with their files checked first.

Everything else (parsing, exclusions, proposals, frame sampling) is mmaction2's own; its
readers are handed the files without blank lines, which they would take for rows.
"""

from __future__ import annotations

from mmaction.datasets import AVADataset, AVAKineticsDataset

from dlm_core.errors import ConfigError

from ..registry import DATASETS
from .ava_annotations import (
    check_ava_annotations,
    check_proposals,
    read_exclusions,
    read_label_ids,
    without_blank_lines,
)


class _CheckedAVAFiles:
    """What both datasets add to mmaction2's: checks of the CSV rows, the excluded
    timestamps and the proposals before mmaction2 reads them, and the annotation files in
    ``metainfo`` so that the evaluator can tell when it scores against other ones."""

    def __init__(self, *args, check_frames: bool = True, **kwargs):
        self.check_frames = check_frames
        super().__init__(*args, **kwargs)
        self._metainfo.update(ann_file=self.ann_file, exclude_file=self.exclude_file)

    def _time_span(self, video_id: str) -> tuple[int, int]:
        raise NotImplementedError

    def load_data_list(self) -> list[dict]:
        label_file = self.label_file
        if label_file is None:
            raise ConfigError(f'{type(self).__name__} needs label_file to check {self.ann_file}')
        frame_root = self.data_prefix.get('img') if self.check_frames else None
        check_ava_annotations(
            self.ann_file, read_label_ids(label_file), self._time_span, frame_root, self._FPS
        )
        if self.exclude_file is not None:
            read_exclusions(self.exclude_file)
        if self.proposal_file is not None:
            check_proposals(self.proposal_file)
        original = self.ann_file
        with without_blank_lines(original) as readable:
            self.ann_file = readable
            try:
                return super().load_data_list()
            finally:
                self.ann_file = original

    def filter_data(self) -> list[dict]:
        original = self.exclude_file
        with without_blank_lines(original) as readable:
            self.exclude_file = readable
            try:
                return super().filter_data()
            finally:
                self.exclude_file = original


@DATASETS.register_module()
class ValidatedAVADataset(_CheckedAVAFiles, AVADataset):
    """``AVADataset`` whose annotation rows are checked (box, action id, timestamp).

    Args:
        check_frames: also check that each keyframe lies within the video's frame folder.
    """

    def _time_span(self, video_id: str) -> tuple[int, int]:
        return self.timestamp_start, self.timestamp_end


@DATASETS.register_module()
class ValidatedAVAKineticsDataset(_CheckedAVAFiles, AVAKineticsDataset):
    """``AVAKineticsDataset`` (AVA videos plus Kinetics clips ``<id>_<start>_<end>``)
    whose annotation rows are checked."""

    def _time_span(self, video_id: str) -> tuple[int, int]:
        return self.get_timestamp(video_id)

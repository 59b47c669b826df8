"""AVA frame mAP@0.5, computed by mmaction2's port of the official AVA evaluator, in process.

mmaction2's ``AVAMetric`` runs ``ava_eval``, which forks a pool of 32 workers and writes
its result CSV into the working directory under a name made of the current second. That
is heavy on a small machine and collides when two evaluations run in one folder at once.
:class:`AVAFrameMAP` keeps ``AVAMetric``'s ``process`` and the evaluator's functions
(``read_csv``, ``read_exclusions``, ``tpfp_single``, precision/recall and VOC AP) and only
runs them serially, with the CSV in a private temporary folder. A test checks that both
give the same numbers.

mmaction2's evaluator scores whatever keyframes its ``ann_file`` holds: predictions for
other keyframes (an evaluator left on another annotation file than the dataset's) give
mAP 0.0 without a word. Here the predicted keyframes must be the ground truth's, and its
files are checked as the dataset's are (blank lines skipped, anything else malformed an
error naming the file and line). With ``replicates_file`` the mAP is also evaluated on
bootstrap resamples of the ground truth's videos (``dlm_core.evaluation.video_resamples``),
for the benchmark's intervals.
"""

from __future__ import annotations

import os.path as osp
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator

import numpy as np
from mmaction.evaluation import AVAMetric
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from dlm_core.errors import DataError
from dlm_core.evaluation import copy_order, sorted_videos, write_video_replicates

from ..datasets.ava_annotations import (
    check_ava_annotations,
    read_exclusions,
    read_keyframes,
    read_label_ids,
)
from ..registry import METRICS
from .ground_truth_checks import coverage_problems, other_dataset_ann_file


def _nonblank(lines: Iterable[str]) -> Iterator[str]:
    """The lines mmaction2's readers should see: a blank line is no row."""
    return (line for line in lines if line.strip())


def read_frame_map_inputs(
    result_file: str,
    label_file: str,
    ann_file: str,
    exclude_file: str | None,
    custom_classes: list[int] | None = None,
) -> dict:
    """What ``ava_eval`` reads, by mmaction2's readers: the categories, the scored action
    ids, ground truth and detections (``{'video,stamp': rows}``) and the excluded keyframes."""
    from mmaction.evaluation.functional import ava_utils

    with open(label_file) as f:
        categories, class_whitelist = ava_utils.read_labelmap(_nonblank(f))
    if custom_classes is not None:
        class_whitelist = set(custom_classes[1:])
        categories = [c for c in categories if c['id'] in class_whitelist]
    with open(ann_file) as f:
        gt_boxes, gt_labels, _ = ava_utils.read_csv(_nonblank(f), class_whitelist)
    excluded = set()
    if exclude_file is not None:
        with open(exclude_file) as f:
            excluded = ava_utils.read_exclusions(_nonblank(f))
    with open(result_file) as f:
        boxes, labels, scores = ava_utils.read_csv(_nonblank(f), class_whitelist)
    return dict(
        categories=categories,
        class_whitelist=class_whitelist,
        gt_boxes=gt_boxes,
        gt_labels=gt_labels,
        excluded=excluded,
        boxes=boxes,
        labels=labels,
        scores=scores,
    )


def frame_matches(inputs: dict, iou_threshold: float = 0.5) -> dict:
    """Per ground-truth keyframe, in the ground truth's order: its ground-truth labels and,
    unless it is excluded, ``ava_utils.tpfp_single``'s per-class scores and true/false
    positive flags (a keyframe's matches depend on that keyframe alone)."""
    from mmaction.evaluation.functional import ava_utils

    gt_boxes, gt_labels, excluded = inputs['gt_boxes'], inputs['gt_labels'], inputs['excluded']
    boxes, labels, scores = inputs['boxes'], inputs['labels'], inputs['scores']
    matches = {}
    for key in gt_boxes:
        found = None
        if key not in excluded:
            frame = (gt_boxes[key], gt_labels[key], boxes[key], labels[key], scores[key])
            found = ava_utils.tpfp_single(frame, iou_threshold)
        matches[key] = (gt_labels[key], found)
    return matches


def map_of_matches(matches: dict, keys, class_whitelist) -> tuple[float, dict[int, float]]:
    """The mean and per-class AP of ``ava_eval`` over the keyframes ``keys`` of
    :func:`frame_matches` (a key listed k times counts as k copies of its keyframe)."""
    from mmaction.evaluation.functional.ava_evaluation import metrics

    keys = list(keys)
    all_gt_labels = np.concatenate([matches[key][0] for key in keys])
    gt_count = {k: np.sum(all_gt_labels == k) for k in class_whitelist}
    per_class_scores, per_class_tpfp = defaultdict(list), defaultdict(list)
    for key in keys:
        found = matches[key][1]
        if found is None:
            continue
        frame_scores, frame_tpfp = found
        for k in frame_scores:
            per_class_scores[k].append(frame_scores[k])
            per_class_tpfp[k].append(frame_tpfp[k])
    class_ap = {}
    for k in per_class_scores:
        precision, recall = metrics.compute_precision_recall(
            np.concatenate(per_class_scores[k]), np.concatenate(per_class_tpfp[k]), gt_count[k]
        )
        class_ap[k] = float(metrics.compute_average_precision(precision, recall))
    overall = float(np.nanmean(list(class_ap.values()))) if class_ap else 0.0
    return overall, class_ap


def frame_map(inputs: dict, iou_threshold: float = 0.5) -> tuple[float, dict[int, float]]:
    """The mean and per-class AP of ``ava_eval`` on :func:`read_frame_map_inputs`'s inputs."""
    matches = frame_matches(inputs, iou_threshold)
    return map_of_matches(matches, inputs['gt_boxes'], inputs['class_whitelist'])


def ava_frame_map(
    result_file: str,
    label_file: str,
    ann_file: str,
    exclude_file: str | None,
    custom_classes: list[int] | None = None,
    iou_threshold: float = 0.5,
) -> tuple[float, dict[int, float]]:
    """The mean and per-class AP of ``ava_eval`` (``ignore_empty_frames=True``)."""
    inputs = read_frame_map_inputs(result_file, label_file, ann_file, exclude_file, custom_classes)
    overall, class_ap = frame_map(inputs, iou_threshold)
    names = {c['id']: c['name'] for c in inputs['categories']}
    for k, ap in sorted(class_ap.items()):
        print_log(f'AVA AP of action {k} ({names.get(k, "?")}): {ap:.4f}', logger='current')
    return overall, class_ap


def _video_of(key: str) -> str:
    return key.rsplit(',', 1)[0]


def resampled_keys(keys, counts) -> list:
    """The keyframes of a resample of the ground truth's videos, video ``v`` (of the
    sorted ids) ``counts[i]`` times: every drawn keyframe once in the ground truth's order,
    then those of the videos drawn twice, ...: the order copies of the videos appended to
    the ground truth would take (how score ties between copies are broken)."""
    keys = list(keys)
    drawn = dict(zip(sorted_videos(map(_video_of, keys)), map(int, counts)))
    return [keys[position] for _, position in copy_order([drawn[_video_of(k)] for k in keys])]


def _listed(keys: set, limit: int = 5) -> str:
    shown = ', '.join(f'{video},{stamp:04d}' for video, stamp in sorted(keys)[:limit])
    return f'{len(keys)} ({shown}{", ..." if len(keys) > limit else ""})'


@METRICS.register_module()
class AVAFrameMAP(AVAMetric):
    """``AVAMetric`` (frame mAP@0.5 over the action classes), evaluated in process.

    Reports ``mAP/overall`` as ``AVAMetric`` does, in [0, 1]. The keyframes predicted
    must be those of ``ann_file`` (less the excluded ones); when the dataset reads
    another annotation file (``dataset_meta['ann_file']``), the two are compared as soon
    as the evaluator learns the dataset, before any prediction is made.

    Args:
        replicates_file: where to write ``overall`` on ``replicates`` bootstrap resamples
            of the ground truth's videos (a video drawn k times enters k times, all its
            keyframes' ground truth, exclusions and detections), as
            ``dlm_core.evaluation.write_video_replicates`` does; None: not.
        replicates: the number of resamples.
        **kwargs: ``AVAMetric``'s.
    """

    def __init__(self, *args, replicates_file: str | None = None, replicates: int = 200, **kwargs):
        super().__init__(*args, **kwargs)
        self.replicates_file = replicates_file
        self.replicates = replicates

    @property
    def dataset_meta(self) -> dict | None:
        return BaseMetric.dataset_meta.fget(self)

    @dataset_meta.setter
    def dataset_meta(self, dataset_meta: dict) -> None:
        BaseMetric.dataset_meta.fset(self, dataset_meta)
        dataset_file = other_dataset_ann_file(self.dataset_meta, self.ann_file)
        if dataset_file is None:
            return
        try:
            theirs = read_keyframes(dataset_file, self._action_ids())
        except (OSError, ValueError, IndexError):
            return  # the dataset reports its own file's problems
        dataset_exclude = (dataset_meta or {}).get('exclude_file')
        if dataset_exclude is not None and osp.isfile(dataset_exclude):
            theirs -= read_exclusions(dataset_exclude)
        self.check_keyframes(theirs, 'the keyframes of the dataset')

    def _action_ids(self) -> set[int]:
        if self.custom_classes is not None:
            return set(self.custom_classes[1:])
        return read_label_ids(self.label_file)

    def check_keyframes(self, predicted: set[tuple[str, int]], what: str = 'predictions') -> None:
        """``predicted`` (``(video_id, timestamp)``) must be the keyframes the evaluator
        scores: those of ``ann_file`` with a scored action, less the excluded ones."""
        check_ava_annotations(self.ann_file, read_label_ids(self.label_file))
        excluded = read_exclusions(self.exclude_file) if self.exclude_file else set()
        truth = read_keyframes(self.ann_file, self._action_ids()) - excluded
        problems = coverage_problems(
            [
                (f'{what} include keyframes it does not have:', predicted - truth - excluded),
                (f'{what} lack keyframes it scores:', truth - predicted),
            ],
            _listed,
        )
        if not problems:
            return
        message = f"{self.ann_file} (the evaluator's ground truth): " + '; '.join(problems)
        dataset_file = other_dataset_ann_file(self.dataset_meta, self.ann_file)
        if dataset_file is not None:
            message += (
                f"; the dataset reads {dataset_file} but the evaluator's ann_file is "
                f'{self.ann_file}: give val_evaluator / test_evaluator the same ann_file '
                "(and exclude_file) as their dataloader's dataset"
            )
        raise DataError(message + '; the mAP of other keyframes would be meaningless')

    def compute_metrics(self, results: list) -> dict:
        from mmaction.evaluation import results2csv

        self.check_keyframes({(r['video_id'], int(r['timestamp'])) for r in results})
        with tempfile.TemporaryDirectory() as folder:
            result_file = osp.join(folder, 'ava_results.csv')
            results2csv(results, result_file, self.custom_classes)
            overall, _ = ava_frame_map(
                result_file, self.label_file, self.ann_file, self.exclude_file, self.custom_classes
            )
            if self.replicates_file:
                inputs = read_frame_map_inputs(
                    result_file, self.label_file, self.ann_file, self.exclude_file,
                    self.custom_classes,
                )  # fmt: skip
                matches = frame_matches(inputs)
                whitelist = inputs['class_whitelist']
                write_video_replicates(
                    self.replicates_file,
                    map(_video_of, inputs['gt_boxes']),
                    lambda counts: map_of_matches(
                        matches, resampled_keys(inputs['gt_boxes'], counts), whitelist
                    )[0],
                    self.replicates,
                    what=f'{type(self).__name__} mAP',
                )
        return dict(overall=overall)

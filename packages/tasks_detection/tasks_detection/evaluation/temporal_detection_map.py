"""mAP of temporal action detection at several tIoU thresholds (THUMOS14: 0.3:0.1:0.7).

The per-class average precision is mmaction2's port of the ActivityNet detection
evaluator (``compute_average_precision_detection``: predictions ranked by score, each
matched to the unmatched ground truth of highest tIoU, interpolated AP); the class mean
runs over the classes that have ground truth, as in ActivityNet's ``ANETdetection``.
The ground truth is read from the annotation file (whole videos, never crops); its labels
are scored as the dataset's classes (the config's, by name), and the predicted videos must
be the ground truth's videos. With ``replicates_file`` the mAP is also evaluated on
bootstrap resamples of the test videos (``dlm_core.evaluation.video_resamples``), for the
benchmark's intervals, from the once-matched predictions (``temporal_matches``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from dlm_core.errors import ConfigError, DataError
from dlm_core.evaluation import copy_name, sorted_videos, write_video_replicates

from ..datasets.thumos14 import config_classes, read_thumos14_json, subset_truth
from ..registry import METRICS
from .ground_truth_checks import coverage_problems, other_dataset_ann_file
from .temporal_matches import TemporalMatches


def detection_map(
    ground_truth: dict[str, list],
    predictions: dict[str, list],
    num_classes: int,
    tiou_thresholds: Sequence[float],
) -> tuple[np.ndarray, np.ndarray]:
    """AP ``(len(tiou_thresholds), num_classes)`` and the mask of classes with ground truth.

    ``ground_truth[vid]``: ``[(t_start, t_end, label)]``; ``predictions[vid]``:
    ``[(t_start, t_end, label, score)]``.
    """
    from mmaction.evaluation.functional.eval_detection import (
        compute_average_precision_detection,
    )

    thresholds = np.asarray(tiou_thresholds, dtype=float)
    gts = [[] for _ in range(num_classes)]
    preds = [[] for _ in range(num_classes)]
    for vid, items in ground_truth.items():
        for t0, t1, label in items:
            gts[int(label)].append({'video-id': vid, 't-start': float(t0), 't-end': float(t1)})
    for vid, items in predictions.items():
        for t0, t1, label, score in items:
            preds[int(label)].append(
                {'video-id': vid, 't-start': float(t0), 't-end': float(t1), 'score': float(score)}
            )
    ap = np.zeros((len(thresholds), num_classes))
    has_gt = np.array([len(g) > 0 for g in gts])
    for label in range(num_classes):
        if has_gt[label]:
            ap[:, label] = compute_average_precision_detection(gts[label], preds[label], thresholds)
    return ap, has_gt


def resampled(truth: dict, predictions: dict, counts) -> tuple[dict, dict]:
    """Ground truth and predictions of a resample: video ``v`` (of the sorted ids)
    ``counts[i]`` times, copy ``k`` named ``copy_name(v, k)``; every video once gives the
    inputs themselves, in their order."""
    drawn = dict(zip(sorted_videos(truth), (int(c) for c in counts)))
    copies = max(drawn.values(), default=0)
    return tuple(
        {
            copy_name(vid, copy): items
            for copy in range(copies)
            for vid, items in table.items()
            if drawn[str(vid)] > copy
        }
        for table in (truth, predictions)
    )


def _listed(keys, limit: int = 5) -> str:
    keys = sorted(keys)
    more = f' and {len(keys) - limit} more' if len(keys) > limit else ''
    return f'{keys[:limit]}{more}'


@METRICS.register_module()
class TemporalDetectionMAP(BaseMetric):
    """mAP@tIoU per threshold and their mean, for predictions in seconds.

    The classes are ``dataset_meta['classes']`` (the dataset's, from the config); a
    ground-truth label outside them, a predicted class index beyond them, or predictions
    for other videos than the ground truth's subset are errors.

    Args:
        ann_file: the THUMOS14-layout json holding the ground truth.
        subset: the subset evaluated (``'Test'`` for THUMOS14).
        tiou_thresholds: default ``0.3, 0.4, 0.5, 0.6, 0.7``.
        replicates_file: where to write ``mAP`` on ``replicates`` bootstrap resamples of the
            test videos (a video drawn k times enters k times, ground truth and
            predictions), as ``dlm_core.evaluation.write_video_replicates`` does; None: not.
        replicates: the number of resamples.
    """

    def __init__(
        self,
        ann_file: str,
        subset: str = 'Test',
        tiou_thresholds: Sequence[float] = (0.3, 0.4, 0.5, 0.6, 0.7),
        replicates_file: str | None = None,
        replicates: int = 200,
        collect_device: str = 'cpu',
        prefix: str | None = None,
    ):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.ann_file = ann_file
        self.subset = subset
        self.tiou_thresholds = [float(t) for t in tiou_thresholds]
        self.replicates_file = replicates_file
        self.replicates = replicates

    @property
    def classes(self) -> tuple[str, ...]:
        return config_classes(self.dataset_meta, f'{type(self).__name__} dataset_meta')

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        num_classes = len(self.classes)
        for sample in data_samples:
            pred = sample['pred_instances']
            segments = np.asarray(pred['segments'].cpu(), dtype=float).reshape(-1, 2)
            labels = np.asarray(pred['labels'].cpu()).reshape(-1)
            scores = np.asarray(pred['scores'].cpu(), dtype=float).reshape(-1)
            if len(labels) and not 0 <= labels.min() <= labels.max() < num_classes:
                raise ConfigError(
                    f'{type(self).__name__}: the model predicts class index {labels.max()} for '
                    f'video {sample["video_id"]}, but the dataset has {num_classes} classes '
                    f"{list(self.classes)}: the head's num_classes and metainfo.classes differ"
                )
            self.results.append(
                (
                    sample['video_id'],
                    [(s[0], s[1], int(c), p) for s, c, p in zip(segments, labels, scores)],
                )
            )

    def ground_truth(self) -> dict[str, list]:
        """``{video: [(t_start, t_end, class index)]}`` of the subset, by class name."""
        database = read_thumos14_json(self.ann_file)
        return subset_truth(self.ann_file, database, self.subset, self.classes)

    def compute_metrics(self, results: list) -> dict:
        truth = self.ground_truth()
        predictions = {}
        for vid, items in results:
            predictions.setdefault(vid, []).extend(items)
        self._check_same_videos(truth, predictions)
        metrics = self.scores(truth, predictions)
        if self.replicates_file:
            matches = TemporalMatches(truth, predictions, len(self.classes), self.tiou_thresholds)
            videos = sorted_videos(truth)

            def resample_map(counts) -> float:
                order = matches.copies_order(dict(zip(videos, (int(c) for c in counts))))
                return self.map_of(*matches.average_precision(order))['mAP']

            write_video_replicates(
                self.replicates_file,
                truth,
                resample_map,
                self.replicates,
                what=f'{type(self).__name__} mAP',
            )
        return metrics

    def scores(self, truth: dict, predictions: dict) -> dict:
        """mAP per threshold and their mean (percent) of predictions on ground truth."""
        return self.map_of(
            *detection_map(truth, predictions, len(self.classes), self.tiou_thresholds)
        )

    def map_of(self, ap: np.ndarray, has_gt: np.ndarray) -> dict:
        """mAP per threshold and their mean (percent) of per-class AP ``ap``, over the
        classes with ground truth."""
        per_threshold = ap[:, has_gt].mean(axis=1) if has_gt.any() else np.zeros(len(ap))
        metrics = OrderedDict(
            (f'mAP@{t:.1f}', float(100 * m)) for t, m in zip(self.tiou_thresholds, per_threshold)
        )
        metrics['mAP'] = float(100 * per_threshold.mean())
        return metrics

    def _check_same_videos(self, truth: dict, predictions: dict) -> None:
        """A video predicted but not in the ground truth would not count, a ground-truth
        video not predicted would count as all missed: either way the mAP would be of
        another test set."""
        problems = coverage_problems(
            [
                ('predictions for videos that are not in it:', set(predictions) - set(truth)),
                ('no prediction for its videos', set(truth) - set(predictions)),
            ],
            _listed,
        )
        if not problems:
            return
        hint = ''
        dataset_file = other_dataset_ann_file(self.dataset_meta, self.ann_file)
        if dataset_file is not None:
            hint = (
                f"; the dataset reads {dataset_file} but the evaluator's ann_file is "
                f'{self.ann_file}: set both to the same json'
            )
        raise DataError(
            f'{self.ann_file} (subset "{self.subset}", the evaluator\'s ground truth): '
            + '; '.join(problems)
            + hint
        )

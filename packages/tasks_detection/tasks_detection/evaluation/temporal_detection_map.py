"""mAP of temporal action detection at several tIoU thresholds (THUMOS14: 0.3:0.1:0.7).

The per-class average precision is mmaction2's port of the ActivityNet detection
evaluator (``compute_average_precision_detection``: predictions ranked by score, each
matched to the unmatched ground truth of highest tIoU, interpolated AP); the class mean
runs over the classes that have ground truth, as in ActivityNet's ``ANETdetection``.
The ground truth is read from the annotation file (whole videos, never crops).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from ..datasets.thumos14 import read_thumos14_json
from ..registry import METRICS


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


@METRICS.register_module()
class TemporalDetectionMAP(BaseMetric):
    """mAP@tIoU per threshold and their mean, for predictions in seconds.

    Args:
        ann_file: the THUMOS14-layout json holding the ground truth.
        subset: the subset evaluated (``'Test'`` for THUMOS14).
        tiou_thresholds: default ``0.3, 0.4, 0.5, 0.6, 0.7``.
    """

    def __init__(
        self,
        ann_file: str,
        subset: str = 'Test',
        tiou_thresholds: Sequence[float] = (0.3, 0.4, 0.5, 0.6, 0.7),
        collect_device: str = 'cpu',
        prefix: str | None = None,
    ):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.ann_file = ann_file
        self.subset = subset
        self.tiou_thresholds = [float(t) for t in tiou_thresholds]

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            pred = sample['pred_instances']
            segments = np.asarray(pred['segments'].cpu(), dtype=float).reshape(-1, 2)
            labels = np.asarray(pred['labels'].cpu()).reshape(-1)
            scores = np.asarray(pred['scores'].cpu(), dtype=float).reshape(-1)
            self.results.append(
                (
                    sample['video_id'],
                    [(s[0], s[1], int(c), p) for s, c, p in zip(segments, labels, scores)],
                )
            )

    def ground_truth(self) -> tuple[dict[str, list], list[str]]:
        database, classes = read_thumos14_json(self.ann_file)
        truth = {}
        for vid, video in database.items():
            if video['subset'].lower() != self.subset.lower():
                continue
            truth[vid] = [
                (a['segment'][0], a['segment'][1], classes.index(a['label']))
                for a in video['annotations']
            ]
        return truth, classes

    def compute_metrics(self, results: list) -> dict:
        truth, classes = self.ground_truth()
        predictions = {}
        for vid, items in results:
            predictions.setdefault(vid, []).extend(items)
        unknown = sorted(set(predictions) - set(truth))
        if unknown:
            raise ValueError(
                f'{self.ann_file}: predictions for videos that are not in subset '
                f'"{self.subset}": {unknown[:5]}'
            )
        ap, has_gt = detection_map(truth, predictions, len(classes), self.tiou_thresholds)
        per_threshold = ap[:, has_gt].mean(axis=1) if has_gt.any() else np.zeros(len(ap))
        metrics = OrderedDict(
            (f'mAP@{t:.1f}', float(100 * m)) for t, m in zip(self.tiou_thresholds, per_threshold)
        )
        metrics['mAP'] = float(100 * per_threshold.mean())
        return metrics

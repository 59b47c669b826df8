"""Bootstrap resamples of the temporal detection mAP without matching again.

mmaction2's ActivityNet evaluator (``compute_average_precision_detection``) ranks one
class's predictions of all videos by score (a stable sort: ties keep their input order),
then matches each to the unmatched ground truth of its own video with the highest tIoU.
A ground truth belongs to one video, so a video's true/false positives depend only on its
own predictions in that order: they are the same for every copy of the video. A
resample's AP is therefore the library's precision/recall interpolation over the
once-matched predictions of the copies, listed in the order the copied inputs list them
and ranked by the same stable sort: the same numbers as evaluating the copies, without
the per-prediction loop (THUMOS14's 200 resamples: about 15 s a test before).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlm_core.evaluation import copy_order


def match_video(
    truth: np.ndarray, segments: np.ndarray, scores: np.ndarray, thresholds: np.ndarray
) -> np.ndarray:
    """True positives ``(len(thresholds), P)`` of one video's predictions of one class
    (``segments (P, 2)``, ``scores (P,)``, in their input order) on its ground truth
    ``truth (G, 2)``, matched as the library matches them."""
    from mmaction.evaluation.functional.eval_detection import pairwise_temporal_iou

    positives = np.zeros((len(thresholds), len(scores)), dtype=bool)
    if not len(truth):
        return positives
    locked = np.zeros((len(thresholds), len(truth)), dtype=bool)
    ranked = sorted(range(len(scores)), key=lambda i: -float(scores[i]))
    for index in ranked:
        tiou = pairwise_temporal_iou(segments[index], truth).reshape(-1)
        best_first = tiou.argsort()[::-1]
        for t, threshold in enumerate(thresholds):
            for j in best_first:
                if tiou[j] < threshold:
                    break
                if not locked[t, j]:
                    positives[t, index] = locked[t, j] = True
                    break
    return positives


class TemporalMatches:
    """The once-matched predictions of every (class, video) and the ground-truth counts,
    from which :meth:`average_precision` gives any resample's per-class AP.

    ``truth[vid]``: ``[(t_start, t_end, label)]``; ``predictions[vid]``:
    ``[(t_start, t_end, label, score)]`` (its key order is the order the copies list)."""

    def __init__(
        self, truth: dict, predictions: dict, num_classes: int, thresholds: Sequence[float]
    ):
        self.thresholds = np.asarray(thresholds, dtype=float)
        self.num_classes = num_classes
        self.videos = [str(v) for v in predictions]
        self.gt_counts = np.zeros((len(self.videos), num_classes), dtype=int)
        self.scores: list[list[np.ndarray]] = [[] for _ in range(num_classes)]
        self.positives: list[list[np.ndarray]] = [[] for _ in range(num_classes)]
        known = {str(v): items for v, items in truth.items()}
        for position, vid in enumerate(predictions):
            gt = [(float(t0), float(t1), int(c)) for t0, t1, c in known.get(str(vid), [])]
            pred = [(float(t0), float(t1), int(c), float(s)) for t0, t1, c, s in predictions[vid]]
            for label in range(num_classes):
                own_gt = np.array([(t0, t1) for t0, t1, c in gt if c == label]).reshape(-1, 2)
                own = [(t0, t1, s) for t0, t1, c, s in pred if c == label]
                segments = np.array([(t0, t1) for t0, t1, _ in own]).reshape(-1, 2)
                scores = np.array([s for _, _, s in own], dtype=float)
                self.gt_counts[position, label] = len(own_gt)
                self.scores[label].append(scores)
                self.positives[label].append(match_video(own_gt, segments, scores, self.thresholds))

    def average_precision(self, order: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """AP ``(len(thresholds), num_classes)`` and the mask of classes with ground
        truth, of the videos at positions ``order`` (a position once per copy, in the
        order the copied inputs list them)."""
        from mmaction.evaluation.functional.eval_detection import interpolated_precision_recall

        order = list(order)
        ap = np.zeros((len(self.thresholds), self.num_classes))
        positives_total = self.gt_counts[order].sum(axis=0) if order else np.zeros(self.num_classes)
        has_gt = positives_total > 0
        for label in np.flatnonzero(has_gt):
            scores = [self.scores[label][p] for p in order]
            if not sum(len(s) for s in scores):
                continue
            ranked = np.argsort(-np.concatenate(scores), kind='stable')
            tp = np.concatenate([self.positives[label][p] for p in order], axis=1)[:, ranked]
            tp_cumsum = np.cumsum(tp, axis=1).astype(np.float64)
            fp_cumsum = np.cumsum(~tp, axis=1).astype(np.float64)
            recall = tp_cumsum / float(positives_total[label])
            precision = tp_cumsum / (tp_cumsum + fp_cumsum)
            for t in range(len(self.thresholds)):
                ap[t, label] = interpolated_precision_recall(precision[t], recall[t])
        return ap, has_gt

    def copies_order(self, drawn: dict) -> list[int]:
        """Positions of the copies of a resample that draws video ``v`` ``drawn[v]``
        times: copy 0 of every drawn video, then copy 1, ..., each in the predictions'
        order (as :func:`temporal_detection_map.resampled` lists them)."""
        return [p for _, p in copy_order([drawn.get(vid, 0) for vid in self.videos])]

"""Action segmentation scores with the MS-TCN ``eval.py`` definitions (docs/method.md §6).

* Acc: correct frames over all frames of all videos (background frames included).
* Edit: ``(1 - Levenshtein(P, Y) / max(|P|, |Y|)) * 100`` on the segment label sequences,
  averaged over videos.
* F1@tau: TP/FP/FN summed over videos; a predicted segment is a TP when its best-IoU
  ground-truth segment of the same label has IoU >= tau and was not matched before.

Segments of a background class are dropped before Edit and F1. As in MS-TCN (and unlike
ASFormer's copy, which stops at ``T - 1``), the last segment ends at ``T``. Two corner cases
that MS-TCN leaves undefined (it divides by zero or takes the argmax of nothing) are
defined here: Edit of two empty segment sequences is 100, and a predicted segment is a FP
when the video has no ground-truth segment.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np

#: The IoU thresholds of F1@{10, 25, 50}.
OVERLAPS = (0.1, 0.25, 0.5)


def segments(labels: Sequence[Hashable], bg_classes=('background',)):
    """``(labels, starts, ends)`` of the runs of equal labels; ``ends`` are exclusive and
    background runs are dropped."""
    seg_labels, starts, ends = [], [], []
    bg = set(bg_classes)
    previous = None
    for index, label in enumerate(labels):
        if index == 0 or label != previous:
            if index > 0 and previous not in bg:
                ends.append(index)
            if label not in bg:
                seg_labels.append(label)
                starts.append(index)
            previous = label
    if len(labels) and previous not in bg:
        ends.append(len(labels))
    return seg_labels, starts, ends


def levenshtein(predicted: Sequence, target: Sequence) -> int:
    """Edit distance (insertions, deletions, substitutions all cost 1)."""
    previous = list(range(len(target) + 1))
    for i, p in enumerate(predicted, start=1):
        current = [i] + [0] * len(target)
        for j, y in enumerate(target, start=1):
            current[j] = (
                previous[j - 1] if p == y else 1 + min(previous[j], current[j - 1], previous[j - 1])
            )
        previous = current
    return previous[-1]


def edit_score(predicted, target, bg_classes=('background',)) -> float:
    """Segmental edit score of one video, 0-100."""
    p, _, _ = segments(predicted, bg_classes)
    y, _, _ = segments(target, bg_classes)
    longest = max(len(p), len(y))
    if longest == 0:
        return 100.0
    return (1.0 - levenshtein(p, y) / longest) * 100.0


def f_counts(predicted, target, overlap: float, bg_classes=('background',)):
    """``(tp, fp, fn)`` of one video at IoU threshold ``overlap``."""
    p_label, p_start, p_end = segments(predicted, bg_classes)
    y_label, y_start, y_end = segments(target, bg_classes)
    y_start, y_end = np.asarray(y_start, float), np.asarray(y_end, float)
    y_label_array = np.asarray(y_label, dtype=object)
    hits = np.zeros(len(y_label), bool)
    tp = fp = 0
    for label, start, end in zip(p_label, p_start, p_end):
        if not len(y_label):
            fp += 1
            continue
        intersection = np.minimum(end, y_end) - np.maximum(start, y_start)
        union = np.maximum(end, y_end) - np.minimum(start, y_start)
        iou = intersection / union * (y_label_array == label)
        best = int(np.argmax(iou))
        if iou[best] >= overlap and not hits[best]:
            tp += 1
            hits[best] = True
        else:
            fp += 1
    return tp, fp, len(y_label) - int(hits.sum())


def segmentation_scores(predictions, ground_truths, bg_classes=('background',)) -> dict:
    """Acc, Edit and F1@{10, 25, 50} (0-100) of per-video frame label sequences.

    Args:
        predictions: one frame-wise label sequence per video (names or indices).
        ground_truths: the ground truth, same videos in the same order, same lengths.
        bg_classes: labels whose segments Edit and F1 ignore (of the same kind as the
            labels: names when the sequences hold names).

    Returns:
        ``{'acc', 'edit', 'f1@10', 'f1@25', 'f1@50'}`` as floats.
    """
    predictions, ground_truths = list(predictions), list(ground_truths)
    if len(predictions) != len(ground_truths):
        raise ValueError(
            f'segmentation_scores: {len(predictions)} predicted videos but '
            f'{len(ground_truths)} ground-truth videos'
        )
    if not predictions:
        raise ValueError('segmentation_scores: no videos to score')
    if isinstance(bg_classes, (str, int)):
        bg_classes = (bg_classes,)
    correct = total = 0
    edit = 0.0
    counts = np.zeros((len(OVERLAPS), 3))
    for index, (pred, gt) in enumerate(zip(predictions, ground_truths)):
        pred, gt = _as_list(pred), _as_list(gt)
        if len(pred) != len(gt):
            raise ValueError(
                f'segmentation_scores: video {index} has {len(pred)} predicted frames but '
                f'{len(gt)} ground-truth frames'
            )
        correct += sum(p == y for p, y in zip(pred, gt))
        total += len(gt)
        edit += edit_score(pred, gt, bg_classes)
        counts += video_f_counts(pred, gt, bg_classes)
    scores = dict(acc=100.0 * correct / max(1, total), edit=edit / len(predictions))
    for (tp, fp, fn), overlap in zip(counts, OVERLAPS):
        scores[f1_key(overlap)] = f1_of_counts(tp, fp, fn)
    return scores


def video_f_counts(predicted, target, bg_classes=('background',)) -> np.ndarray:
    """``(len(OVERLAPS), 3)``: one video's ``(tp, fp, fn)`` at each IoU threshold; F1@tau
    of a test set is :func:`f1_of_counts` of their sum over its videos."""
    return np.array([f_counts(predicted, target, o, bg_classes) for o in OVERLAPS], float)


def f1_key(overlap: float) -> str:
    return f'f1@{round(overlap * 100)}'


def f1_of_counts(tp: float, fp: float, fn: float) -> float:
    """F1 (0-100) of summed counts; 0 where nothing was predicted or nothing matched."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return 100.0 * (2 * precision * recall / (precision + recall) if precision + recall else 0.0)


def _as_list(labels) -> list:
    if hasattr(labels, 'tolist'):
        return labels.tolist()
    return list(labels)

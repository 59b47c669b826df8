"""AVA frame mAP@0.5, computed by mmaction2's port of the official AVA evaluator, in process.

mmaction2's ``AVAMetric`` runs ``ava_eval``, which forks a pool of 32 workers and writes
its result CSV into the working directory under a name made of the current second. That
is heavy on a small machine and collides when two evaluations run in one folder at once.
:class:`AVAFrameMAP` keeps ``AVAMetric``'s ``process`` and the evaluator's functions
(``read_csv``, ``read_exclusions``, ``tpfp_single``, precision/recall and VOC AP) and only
runs them serially, with the CSV in a private temporary folder. A test checks that both
give the same numbers.
"""

from __future__ import annotations

import os.path as osp
import tempfile
from collections import defaultdict

import numpy as np
from mmaction.evaluation import AVAMetric
from mmengine.logging import print_log

from ..registry import METRICS


def ava_frame_map(
    result_file: str,
    label_file: str,
    ann_file: str,
    exclude_file: str | None,
    custom_classes: list[int] | None = None,
    iou_threshold: float = 0.5,
) -> tuple[float, dict[int, float]]:
    """The mean and per-class AP of ``ava_eval`` (``ignore_empty_frames=True``)."""
    from mmaction.evaluation.functional import ava_utils
    from mmaction.evaluation.functional.ava_evaluation import metrics

    with open(label_file) as f:
        categories, class_whitelist = ava_utils.read_labelmap(f)
    if custom_classes is not None:
        class_whitelist = set(custom_classes[1:])
        categories = [c for c in categories if c['id'] in class_whitelist]
    with open(ann_file) as f:
        gt_boxes, gt_labels, _ = ava_utils.read_csv(f, class_whitelist)
    excluded = set()
    if exclude_file is not None:
        with open(exclude_file) as f:
            excluded = ava_utils.read_exclusions(f)
    with open(result_file) as f:
        boxes, labels, scores = ava_utils.read_csv(f, class_whitelist)
    all_gt_labels = np.concatenate(list(gt_labels.values()))
    gt_count = {k: np.sum(all_gt_labels == k) for k in class_whitelist}
    per_class_scores, per_class_tpfp = defaultdict(list), defaultdict(list)
    for key in gt_boxes:
        if key in excluded:
            continue
        frame = (gt_boxes[key], gt_labels[key], boxes[key], labels[key], scores[key])
        frame_scores, frame_tpfp = ava_utils.tpfp_single(frame, iou_threshold)
        for k in frame_scores:
            per_class_scores[k].append(frame_scores[k])
            per_class_tpfp[k].append(frame_tpfp[k])
    class_ap = {}
    for k in per_class_scores:
        precision, recall = metrics.compute_precision_recall(
            np.concatenate(per_class_scores[k]), np.concatenate(per_class_tpfp[k]), gt_count[k]
        )
        class_ap[k] = float(metrics.compute_average_precision(precision, recall))
    names = {c['id']: c['name'] for c in categories}
    for k, ap in sorted(class_ap.items()):
        print_log(f'AVA AP of action {k} ({names.get(k, "?")}): {ap:.4f}', logger='current')
    overall = float(np.nanmean(list(class_ap.values()))) if class_ap else 0.0
    return overall, class_ap


@METRICS.register_module()
class AVAFrameMAP(AVAMetric):
    """``AVAMetric`` (frame mAP@0.5 over the action classes), evaluated in process.

    Reports ``mAP/overall`` as ``AVAMetric`` does, in [0, 1].
    """

    def compute_metrics(self, results: list) -> dict:
        from mmaction.evaluation import results2csv

        with tempfile.TemporaryDirectory() as folder:
            result_file = osp.join(folder, 'ava_results.csv')
            results2csv(results, result_file, self.custom_classes)
            overall, _ = ava_frame_map(
                result_file, self.label_file, self.ann_file, self.exclude_file, self.custom_classes
            )
        return dict(overall=overall)

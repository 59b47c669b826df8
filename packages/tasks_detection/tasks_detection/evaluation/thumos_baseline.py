"""Trivial baselines of temporal action detection, scored by the same mAP as the models.

Both use no feature at all, only the training set's class frequencies (the class prior).
The file is scored against itself, so its own labels serve as the classes here:

* ``whole_video``: for every test video and class, one segment covering the video;
* ``prior_windows``: windows of the mean training action length every half length,
  one per class, so the baseline at least proposes segments of the right size.

    python -m tasks_detection.evaluation.thumos_baseline ANN_FILE [--train-subset Validation]
"""

from __future__ import annotations

import argparse
from collections import Counter

import numpy as np

from ..datasets.thumos14 import file_labels, read_thumos14_json, subset_truth
from .temporal_detection_map import detection_map

BASELINES = ('whole_video', 'prior_windows')


def baseline_predictions(
    ann_file: str, kind: str, train_subset: str = 'Validation', test_subset: str = 'Test'
) -> dict[str, list]:
    """``{video_id: [(t_start, t_end, label, score)]}`` of baseline ``kind``."""
    if kind not in BASELINES:
        raise ValueError(f'baseline must be one of {BASELINES}, got {kind!r}')
    database = read_thumos14_json(ann_file)
    classes = file_labels(database)
    train = [
        a
        for v in database.values()
        if v['subset'].lower() == train_subset.lower()
        for a in v['annotations']
    ]
    if not train:
        raise ValueError(f'{ann_file}: no annotation in subset "{train_subset}"')
    counts = Counter(a['label'] for a in train)
    prior = [counts[c] / len(train) for c in classes]
    mean_length = float(np.mean([a['segment'][1] - a['segment'][0] for a in train]))
    predictions = {}
    for vid, video in database.items():
        if video['subset'].lower() != test_subset.lower():
            continue
        duration = float(video['duration'])
        if kind == 'whole_video':
            windows = [(0.0, duration)]
        else:
            starts = np.arange(0.0, max(duration - mean_length, 0.0) + 1e-6, mean_length / 2)
            windows = [(s, min(s + mean_length, duration)) for s in starts]
        predictions[vid] = [(t0, t1, c, p) for t0, t1 in windows for c, p in enumerate(prior)]
    return predictions


def baseline_map(
    ann_file: str,
    kind: str,
    train_subset: str = 'Validation',
    test_subset: str = 'Test',
    tiou_thresholds=(0.3, 0.4, 0.5, 0.6, 0.7),
) -> dict[str, float]:
    """The baseline's mAP (in %) per threshold and their mean, as ``TemporalDetectionMAP``."""
    database = read_thumos14_json(ann_file)
    classes = file_labels(database)
    truth = subset_truth(ann_file, database, test_subset, classes)
    predictions = baseline_predictions(ann_file, kind, train_subset, test_subset)
    ap, has_gt = detection_map(truth, predictions, len(classes), tiou_thresholds)
    per_threshold = ap[:, has_gt].mean(axis=1)
    result = {f'mAP@{t:.1f}': float(100 * m) for t, m in zip(tiou_thresholds, per_threshold)}
    result['mAP'] = float(100 * per_threshold.mean())
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description='mAP of the trivial THUMOS14 baselines')
    parser.add_argument('ann_file', help='THUMOS14-layout json')
    parser.add_argument('--train-subset', default='Validation')
    parser.add_argument('--test-subset', default='Test')
    args = parser.parse_args(argv)
    for kind in BASELINES:
        result = baseline_map(args.ann_file, kind, args.train_subset, args.test_subset)
        print(kind, {k: round(v, 2) for k, v in result.items()})


if __name__ == '__main__':
    main()

"""The trivial baseline of spatio-temporal action detection, scored by the same frame mAP.

Every person proposal the model would see (mmaction2's ``AVADataset`` keeps those scoring
at least ``min(person_det_score_thr, best score)``) gets every action with the action's
training frequency as its score (the class prior): boxes without looking at the video.

    python -m tasks_detection.evaluation.ava_baseline TRAIN_CSV VAL_CSV LABEL_MAP PROPOSALS_PKL
        [--exclude-file VAL_EXCLUDED_CSV]
"""

from __future__ import annotations

import argparse
import csv
import os.path as osp
import pickle
import tempfile
from collections import Counter

import numpy as np

from ..datasets.ava_annotations import nonblank_lines
from .ava_frame_map import ava_frame_map


def _rows(path: str) -> list[list[str]]:
    """The rows of an AVA annotation CSV (blank lines skipped)."""
    return list(csv.reader(text for _, text in nonblank_lines(path)))


def action_prior(train_csv: str) -> dict[int, float]:
    """``{action_id: share of the annotated (keyframe, person) pairs doing it}``."""
    people, actions = set(), Counter()
    for row in _rows(train_csv):
        people.add((row[0], row[1], row[7]))
        actions[int(row[6])] += 1
    return {action: count / len(people) for action, count in sorted(actions.items())}


def _proposal_key(video_id: str, timestamp: int, proposals: dict) -> str:
    """The proposals' key: ``vid,ts``; a Kinetics clip ``<id>_<start>_<end>`` of
    AVA-Kinetics is stored under its YouTube id (as ``AVAKineticsDataset`` looks it up)."""
    key = f'{video_id},{timestamp:04d}'
    parts = video_id.split('_')
    if key not in proposals and len(video_id) != 11 and len(parts) >= 3:
        key = f'{"_".join(parts[:-2])},{timestamp:04d}'
    return key


def prior_baseline_map(
    train_csv: str,
    val_csv: str,
    label_file: str,
    proposal_file: str,
    exclude_file: str | None = None,
    person_det_score_thr: float = 0.9,
) -> float:
    """Frame mAP@0.5 (in [0, 1]) of the class-prior baseline on ``val_csv``'s keyframes."""
    prior = action_prior(train_csv)
    with open(proposal_file, 'rb') as f:
        proposals = pickle.load(f)
    keys = sorted({(row[0], int(row[1])) for row in _rows(val_csv)})
    rows = []
    for video_id, timestamp in keys:
        boxes = proposals.get(_proposal_key(video_id, timestamp, proposals))
        if boxes is None:
            boxes = np.array([[0, 0, 1, 1, 1.0]])
        boxes = np.asarray(boxes, dtype=float)
        if boxes.shape[1] == 5:
            boxes = boxes[boxes[:, 4] >= min(person_det_score_thr, boxes[:, 4].max())]
        for x1, y1, x2, y2 in boxes[:, :4]:
            for action, score in prior.items():
                rows.append(f'{video_id},{timestamp:04d},{x1:.3f},{y1:.3f},{x2:.3f},{y2:.3f},'
                            f'{action},{score:.4f}')  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        result_file = osp.join(folder, 'prior.csv')
        with open(result_file, 'w') as f:
            f.write(''.join(r + '\n' for r in rows))
        overall, _ = ava_frame_map(result_file, label_file, val_csv, exclude_file)
    return overall


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description='frame mAP of the class-prior AVA baseline')
    parser.add_argument('train_csv')
    parser.add_argument('val_csv')
    parser.add_argument('label_file')
    parser.add_argument('proposal_file', help='proposals of the val keyframes')
    parser.add_argument('--exclude-file')
    args = parser.parse_args(argv)
    overall = prior_baseline_map(
        args.train_csv, args.val_csv, args.label_file, args.proposal_file, args.exclude_file
    )
    print(f'class-prior baseline: mAP/overall {overall:.4f}')


if __name__ == '__main__':
    main()

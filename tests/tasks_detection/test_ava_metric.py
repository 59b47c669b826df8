"""AVA frame mAP@0.5: hand-computed values, and the same numbers as mmaction2's AVAMetric."""

import numpy as np
import pytest
import torch

from tasks_detection.evaluation import AVAFrameMAP
from tasks_detection.evaluation.ava_baseline import action_prior, prior_baseline_map

LABEL_MAP = 'item {\n  name: "walk"\n  id: 1\n}\nitem {\n  name: "wave"\n  id: 2\n}\n'
PERSON_0 = (0.1, 0.1, 0.4, 0.4)
PERSON_1 = (0.5, 0.5, 0.9, 0.9)


def write_files(tmp_path, gt_rows, excluded=()):
    (tmp_path / 'labels.pbtxt').write_text(LABEL_MAP)
    (tmp_path / 'gt.csv').write_text(''.join(r + '\n' for r in gt_rows))
    (tmp_path / 'excluded.csv').write_text(''.join(r + '\n' for r in excluded))
    return dict(
        ann_file=str(tmp_path / 'gt.csv'),
        label_file=str(tmp_path / 'labels.pbtxt'),
        exclude_file=str(tmp_path / 'excluded.csv'),
    )


def row(video, stamp, box, action, person=0):
    return f'{video},{stamp:04d},' + ','.join(f'{v:.3f}' for v in box) + f',{action},{person}'


def detections(video, stamp, boxes_and_scores):
    """One keyframe's prediction as the model gives it: boxes and per-class scores
    (column 0 is the background class)."""
    boxes = torch.tensor([b for b, _ in boxes_and_scores], dtype=torch.float32)
    scores = torch.tensor([[0.0, *s] for _, s in boxes_and_scores], dtype=torch.float32)
    return dict(video_id=video, timestamp=stamp, pred_instances=dict(bboxes=boxes, scores=scores))


def evaluate(metric_cls, files, predictions, **kwargs):
    metric = metric_cls(num_classes=3, **files, **kwargs)
    metric.process({}, predictions)
    return metric.compute_metrics(metric.results)


@pytest.fixture
def hand_case(tmp_path):
    files = write_files(
        tmp_path,
        [
            row('vid', 902, PERSON_0, 1),
            row('vid', 902, PERSON_0, 2),
            row('vid', 902, PERSON_1, 1, 1),
        ],
    )
    # walk: a false positive ranked first, then both people: precision 0, 1/2, 2/3 at
    #   recall 0, 1/2, 1 -> VOC AP (precision envelope) = 1/2 * 2/3 + 1/2 * 2/3 = 2/3
    # wave: the one person found first: AP 1. Mean: 5/6.
    predictions = [
        detections(
            'vid',
            902,
            [
                ((0.6, 0.0, 0.9, 0.3), (0.95, 0.0)),
                ((0.11, 0.1, 0.4, 0.41), (0.9, 0.7)),
                ((0.5, 0.52, 0.9, 0.9), (0.8, 0.0)),
            ],
        )
    ]
    return files, predictions


def test_frame_map_by_hand(hand_case):
    files, predictions = hand_case
    assert evaluate(AVAFrameMAP, files, predictions)['overall'] == pytest.approx(5 / 6, abs=1e-4)


def test_excluded_keyframes_are_not_scored(tmp_path, hand_case):
    files, predictions = hand_case
    with open(files['ann_file']) as f:
        rows = f.read().splitlines() + [row('bad', 903, PERSON_0, 2)]
    files = write_files(tmp_path, rows, excluded=['bad,0903'])
    # the excluded keyframe's "wave" still counts as ground truth (as in the official
    # evaluator) but none of its detections is scored: wave recall stops at 1/2
    assert evaluate(AVAFrameMAP, files, predictions)['overall'] == pytest.approx(
        (2 / 3 + 1 / 2) / 2, abs=1e-4
    )


class _SerialPool:
    """Stands in for the reference's multiprocessing.Pool(32) inside the test."""

    def __init__(self, *args, **kwargs):
        pass

    def map(self, fn, items):
        return list(map(fn, items))


def test_same_numbers_as_mmaction_ava_metric(tmp_path, monkeypatch):
    from mmaction.evaluation import AVAMetric
    from mmaction.evaluation.functional import ava_utils

    rng = np.random.default_rng(0)
    gt_rows, predictions = [], []
    for frame in range(12):
        stamp = 902 + frame
        people = []
        for person in range(int(rng.integers(1, 4))):
            x, y = rng.uniform(0, 0.6, 2)
            box = (x, y, x + rng.uniform(0.2, 0.4), y + rng.uniform(0.2, 0.4))
            people.append(box)
            for action in rng.choice([1, 2], size=int(rng.integers(1, 3)), replace=False):
                gt_rows.append(row('vid', stamp, box, int(action), person))
        boxes = [
            (tuple(np.clip(np.array(b) + rng.normal(0, 0.03, 4), 0, 1)), tuple(rng.random(2)))
            for b in people
        ]
        boxes.append(((0.0, 0.0, 0.3, 0.3), tuple(rng.random(2))))
        predictions.append(detections('vid', stamp, boxes))
    files = write_files(tmp_path, gt_rows, excluded=['vid,0905'])
    ours = evaluate(AVAFrameMAP, files, predictions)['overall']
    monkeypatch.setattr(ava_utils.multiprocessing, 'Pool', _SerialPool)
    monkeypatch.chdir(tmp_path)  # the reference writes its result CSV into the working dir
    reference = evaluate(AVAMetric, files, predictions)['overall']
    assert 0 < ours < 1
    assert ours == pytest.approx(reference, abs=1e-12)


def test_class_prior_baseline(tmp_path):
    import pickle

    files = write_files(
        tmp_path,
        [row('v', 902, PERSON_0, 1), row('v', 902, PERSON_1, 1, 1), row('v', 902, PERSON_1, 2, 1)],
    )
    assert action_prior(files['ann_file']) == {1: 1.0, 2: 0.5}
    proposals = {'v,0902': np.array([[*PERSON_1, 0.99], [*PERSON_0, 0.5], [0.6, 0, 0.9, 0.3, 0.3]])}
    with open(tmp_path / 'proposals.pkl', 'wb') as f:
        pickle.dump(proposals, f)
    # proposals under min(0.9, best score) are dropped (as AVADataset drops them): only
    # person 1 is proposed, with walk 1.0 and wave 0.5 -> walk AP 1/2 (person 0 missed),
    # wave AP 1; mean 3/4
    overall = prior_baseline_map(
        files['ann_file'],
        files['ann_file'],
        files['label_file'],
        str(tmp_path / 'proposals.pkl'),
        files['exclude_file'],
    )
    assert overall == pytest.approx(0.75, abs=1e-4)


def test_baseline_finds_kinetics_clip_proposals_by_youtube_id():
    from tasks_detection.evaluation.ava_baseline import _proposal_key

    proposals = {'abcdefghijk,0011': None, 'a_b_cdefghij,0903': None}
    assert _proposal_key('abcdefghijk_000010_000012', 11, proposals) == 'abcdefghijk,0011'
    assert _proposal_key('a_b_cdefghij', 903, proposals) == 'a_b_cdefghij,0903'  # AVA id


def test_replicates_file_holds_the_map_of_each_video_resample(tmp_path):
    import json

    from dlm_core.evaluation import video_resamples

    # walk only. a: one person found at 0.9; b: a false positive at 0.95, its person at 0.5.
    # both once: FP, TP, TP -> VOC AP 2/3; a twice: TP, TP -> 1; b twice: FP, FP, TP, TP
    # -> precision 1/2 at full recall -> 1/2. Wave has no ground truth: not averaged.
    files = write_files(tmp_path, [row('a', 902, PERSON_0, 1), row('b', 902, PERSON_0, 1)])
    predictions = [
        detections('a', 902, [(PERSON_0, (0.9, 0.0))]),
        detections('b', 902, [(PERSON_1, (0.95, 0.0)), (PERSON_0, (0.5, 0.0))]),
    ]
    out = tmp_path / 'replicates.json'
    normal = evaluate(AVAFrameMAP, files, predictions, replicates_file=str(out), replicates=20)
    table = json.loads(out.read_text())
    assert table['videos'] == ['a', 'b'] and table['replicates'] == 20
    assert table['value'] == normal['overall'] == pytest.approx(2 / 3, abs=1e-4)
    by_draw = {(0, 0): 1.0, (1, 1): 0.5, (0, 1): 2 / 3, (1, 0): 2 / 3}
    draws = [tuple(d) for d in video_resamples(['b', 'a'], 20)]
    assert {(0, 0), (1, 1)} <= set(draws)
    assert table['values'] == pytest.approx([by_draw[d] for d in draws], abs=1e-4)


def test_a_resample_drawing_a_video_twice_is_the_metric_on_its_copies(tmp_path):
    import json

    from dlm_core.evaluation import video_resamples

    rng = np.random.default_rng(2)
    gt_rows, predictions, excluded = [], [], ['v1,0903']
    for video in ('v0', 'v1', 'v2'):
        for stamp in (902, 903):
            box = tuple(rng.uniform(0, 0.4, 2)) + tuple(rng.uniform(0.6, 1.0, 2))
            gt_rows.append(row(video, stamp, box, int(rng.integers(1, 3))))
            noisy = tuple(np.clip(np.array(box) + rng.normal(0, 0.05, 4), 0, 1))
            predictions.append(detections(video, stamp, [(noisy, tuple(rng.random(2)))]))
    out = tmp_path / 'replicates.json'
    files = write_files(tmp_path, gt_rows, excluded)
    evaluate(AVAFrameMAP, files, predictions, replicates_file=str(out))
    table = json.loads(out.read_text())
    draws = video_resamples(['v0', 'v1', 'v2'], 200)
    twice = next(r for r, d in enumerate(draws) if sorted(d) == [1, 1, 2])  # v1, v1, v2
    # the same by hand: v1 copied as "v1#2" (its exclusion too), v0 left out
    copies = tmp_path / 'copies'
    copies.mkdir()
    copied_rows = [r for r in gt_rows if r.startswith(('v1,', 'v2,'))]
    copied_rows += [r.replace('v1,', 'v1#2,') for r in gt_rows if r.startswith('v1,')]
    copied_files = write_files(copies, copied_rows, excluded + ['v1#2,0903'])
    kept = [p for p in predictions if p['video_id'] in ('v1', 'v2')]
    kept += [dict(p, video_id='v1#2') for p in predictions if p['video_id'] == 'v1']
    by_hand = evaluate(AVAFrameMAP, copied_files, kept)['overall']
    assert table['values'][twice] == pytest.approx(by_hand, abs=1e-12)


def test_every_resample_equals_the_metric_on_its_copied_videos(tmp_path):
    import json

    from dlm_core.evaluation import copy_name, video_resamples

    # four videos, two actions, an excluded keyframe, score ties between videos: each
    # replicate must be the metric on the videos copied as often as they are drawn, the
    # copies' rows after the originals
    rng = np.random.default_rng(9)
    gt_rows, predictions, excluded = [], [], ['v2,0903']
    for video in ('v0', 'v1', 'v2', 'v3'):
        for stamp in (902, 903):
            box = tuple(rng.uniform(0, 0.4, 2)) + tuple(rng.uniform(0.6, 1.0, 2))
            gt_rows.append(row(video, stamp, box, int(rng.integers(1, 3))))
            noisy = tuple(np.clip(np.array(box) + rng.normal(0, 0.08, 4), 0, 1))
            found = [(noisy, tuple(np.round(rng.random(2), 1)))]
            predictions.append(detections(video, stamp, found + [(PERSON_1, (0.5, 0.5))]))
    out = tmp_path / 'replicates.json'
    files = write_files(tmp_path, gt_rows, excluded)
    evaluate(AVAFrameMAP, files, predictions, replicates_file=str(out), replicates=8)
    table = json.loads(out.read_text())
    names = ['v0', 'v1', 'v2', 'v3']
    for r, draw in enumerate(video_resamples(names, 8)):
        counts = dict(zip(names, np.bincount(draw, minlength=4)))
        rows, kept, left_out = [], [], []
        for copy in range(max(counts.values())):
            for video in (v for v in names if counts[v] > copy):
                name = copy_name(video, copy)
                rows += [name + r[2:] for r in gt_rows if r.startswith(video + ',')]
                kept += [dict(p, video_id=name) for p in predictions if p['video_id'] == video]
                left_out += [name + e[2:] for e in excluded if e.startswith(video + ',')]
        copies = tmp_path / f'copies{r}'
        copies.mkdir()
        by_hand = evaluate(AVAFrameMAP, write_files(copies, rows, left_out), kept)['overall']
        assert table['values'][r] == pytest.approx(by_hand, abs=1e-12), (r, counts)

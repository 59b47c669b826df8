"""segmentation_scores against hand-computed cases and the MS-TCN eval.py definitions."""

import json

import numpy as np
import pytest

from tasks_segmentation.evaluation import segmentation_scores, segments
from tasks_segmentation.evaluation.action_segmentation_metric import ActionSegmentationMetric

BG = 'background'


def reference_scores(predictions, ground_truths, bg_class=(BG,)):
    """MS-TCN's eval.py, restated: segments end at T, IoU argmax per predicted segment."""

    def spans(frames):
        labels, starts, ends = [], [], []
        last = frames[0]
        if frames[0] not in bg_class:
            labels.append(frames[0])
            starts.append(0)
        for i in range(len(frames)):
            if frames[i] != last:
                if frames[i] not in bg_class:
                    labels.append(frames[i])
                    starts.append(i)
                if last not in bg_class:
                    ends.append(i)
                last = frames[i]
        if last not in bg_class:
            ends.append(len(frames))
        return labels, starts, ends

    def levenshtein(p, y):
        table = np.zeros((len(p) + 1, len(y) + 1))
        table[:, 0] = np.arange(len(p) + 1)
        table[0, :] = np.arange(len(y) + 1)
        for j in range(1, len(y) + 1):
            for i in range(1, len(p) + 1):
                if y[j - 1] == p[i - 1]:
                    table[i, j] = table[i - 1, j - 1]
                else:
                    table[i, j] = 1 + min(table[i - 1, j], table[i, j - 1], table[i - 1, j - 1])
        return (1 - table[-1, -1] / max(len(p), len(y))) * 100

    overlaps = (0.1, 0.25, 0.5)
    tp, fp, fn = np.zeros(3), np.zeros(3), np.zeros(3)
    correct = total = 0
    edit = 0.0
    for pred, gt in zip(predictions, ground_truths):
        correct += sum(a == b for a, b in zip(pred, gt))
        total += len(gt)
        edit += levenshtein(spans(pred)[0], spans(gt)[0])
        p_label, p_start, p_end = spans(pred)
        y_label, y_start, y_end = spans(gt)
        for s, overlap in enumerate(overlaps):
            hits = np.zeros(len(y_label))
            for j in range(len(p_label)):
                inter = np.minimum(p_end[j], y_end) - np.maximum(p_start[j], y_start)
                union = np.maximum(p_end[j], y_end) - np.minimum(p_start[j], y_start)
                iou = (1.0 * inter / union) * [p_label[j] == y for y in y_label]
                idx = np.array(iou).argmax()
                if iou[idx] >= overlap and not hits[idx]:
                    tp[s] += 1
                    hits[idx] = 1
                else:
                    fp[s] += 1
            fn[s] += len(y_label) - hits.sum()
    out = dict(acc=100.0 * correct / total, edit=edit / len(predictions))
    for s, name in enumerate(('f1@10', 'f1@25', 'f1@50')):
        with np.errstate(invalid='ignore', divide='ignore'):
            precision = tp[s] / (tp[s] + fp[s])
            recall = tp[s] / (tp[s] + fn[s])
            out[name] = float(np.nan_to_num(2 * precision * recall / (precision + recall)) * 100)
    return out


def frames(*runs):
    """('a', 3), ('b', 2) -> ['a', 'a', 'a', 'b', 'b']."""
    return [label for label, n in runs for _ in range(n)]


def test_perfect_prediction_scores_100():
    gt = frames((BG, 2), ('a', 3), ('b', 4), (BG, 1))
    assert segmentation_scores([gt], [gt]) == dict.fromkeys(
        ('acc', 'edit', 'f1@10', 'f1@25', 'f1@50'), 100.0
    )


def test_hand_computed_case_with_background_and_a_last_segment_to_the_end():
    # gt:   bg bg a a a a b b b b    (a = [2, 6), b = [6, 10): b runs to the end, T = 10)
    # pred: bg a  a a c c b b b b    (a = [1, 4), c = [4, 6), b = [6, 10))
    gt = frames((BG, 2), ('a', 4), ('b', 4))
    pred = frames((BG, 1), ('a', 3), ('c', 2), ('b', 4))
    scores = segmentation_scores([pred], [gt])
    # acc: frames 1, 4, 5 wrong -> 7 / 10
    assert scores['acc'] == pytest.approx(70.0)
    # edit: [a, c, b] vs [a, b]: one deletion over max length 3
    assert scores['edit'] == pytest.approx(100 * (1 - 1 / 3))
    # a: IoU with gt a = |[2,4)| / |[1,6)| = 2 / 5 = 0.4 -> TP at 0.1, 0.25, FP at 0.5
    # c: no gt c -> FP; b: IoU 4 / 4 = 1 -> TP (the next case is where the end matters)
    # tp/fp/fn at 0.1 and 0.25: 2/1/0 -> P = 2/3, R = 1 -> F1 = 0.8
    # at 0.5: 1/2/1 -> P = 1/3, R = 1/2 -> F1 = 0.4
    assert scores['f1@10'] == pytest.approx(80.0)
    assert scores['f1@25'] == pytest.approx(80.0)
    assert scores['f1@50'] == pytest.approx(40.0)


def test_the_last_segment_ends_at_t_not_t_minus_1():
    # gt b = [3, 5) (2 frames, to the end); pred b = [4, 5) (1 frame, to the end).
    # MS-TCN (end at T = 5): IoU = 1 / 2 = 0.5 -> TP at 0.5.
    # Ending at T - 1 = 4 (ASFormer's copy) would give IoU = 0 / 1 -> FP.
    gt = frames(('a', 3), ('b', 2))
    pred = frames(('a', 4), ('b', 1))
    assert segments(gt) == (['a', 'b'], [0, 3], [3, 5])
    scores = segmentation_scores([pred], [gt])
    assert scores['f1@50'] == pytest.approx(100.0)
    assert scores['edit'] == pytest.approx(100.0)
    assert scores['acc'] == pytest.approx(80.0)


def test_background_segments_are_ignored_but_background_frames_count_for_acc():
    gt = frames((BG, 5), ('a', 5))
    pred = frames(('x', 5), ('a', 5))  # the background predicted as a class 'x'
    scores = segmentation_scores([pred], [gt])
    assert scores['acc'] == pytest.approx(50.0)
    assert scores['f1@50'] == pytest.approx(100 * 2 * 0.5 * 1 / 1.5)  # 1 TP, 1 FP, 0 FN
    with_x_as_bg = segmentation_scores([pred], [gt], bg_classes=(BG, 'x'))
    assert with_x_as_bg['f1@50'] == pytest.approx(100.0)
    assert with_x_as_bg['edit'] == pytest.approx(100.0)


def test_tp_fp_fn_are_summed_over_videos_and_edit_averaged():
    gt1, pred1 = frames(('a', 4)), frames(('a', 4))  # 1 TP
    gt2, pred2 = frames(('a', 2), ('b', 2)), frames(('b', 4))  # b IoU 0.5: TP at 0.5; a FN
    scores = segmentation_scores([pred1, pred2], [gt1, gt2])
    # totals at 0.5: TP 2, FP 0, FN 1 -> P = 1, R = 2/3 -> F1 = 0.8
    assert scores['f1@50'] == pytest.approx(80.0)
    assert scores['edit'] == pytest.approx((100 + 50) / 2)
    assert scores['acc'] == pytest.approx(100 * 6 / 8)


def test_integer_labels_with_an_integer_background():
    scores = segmentation_scores([[0, 0, 1, 1, 2]], [[0, 1, 1, 1, 2]], bg_classes=(0,))
    assert scores['acc'] == pytest.approx(80.0)
    assert scores['f1@50'] == pytest.approx(100.0)


def test_corner_cases_that_ms_tcn_leaves_undefined():
    # no segment at all on either side: edit 100, F1 0 (no TP)
    scores = segmentation_scores([[BG] * 3], [[BG] * 3])
    assert scores['edit'] == 100.0 and scores['f1@50'] == 0.0 and scores['acc'] == 100.0
    # predicted segments but no ground-truth segment: all FP
    assert segmentation_scores([['a'] * 3], [[BG] * 3])['f1@10'] == 0.0


def test_length_mismatch_and_empty_input_are_errors():
    with pytest.raises(ValueError, match='video 0 has 2 predicted frames but 3'):
        segmentation_scores([['a', 'a']], [['a', 'a', 'a']])
    with pytest.raises(ValueError, match='no videos'):
        segmentation_scores([], [])
    with pytest.raises(ValueError, match='1 predicted videos but 2'):
        segmentation_scores([['a']], [['a'], ['a']])


def test_agrees_with_the_ms_tcn_definitions_on_random_sequences():
    rng = np.random.default_rng(0)
    names = np.array([BG, 'a', 'b', 'c', 'd'])
    for trial in range(25):
        predictions, ground_truths = [], []
        for _ in range(int(rng.integers(1, 4))):
            length = int(rng.integers(5, 80))
            gt = names[np.repeat(rng.integers(0, 5, 12), rng.integers(1, 12, 12))][:length]
            gt = np.pad(gt, (0, length - len(gt)), mode='edge')
            flip = rng.random(length) < 0.15
            pred = np.where(flip, names[rng.integers(0, 5, length)], gt)
            if gt[1:].tolist() == gt[:-1].tolist() and gt[0] == BG:
                gt[-1] = 'a'  # MS-TCN divides by zero on a video with no segment at all
            predictions.append(pred.tolist())
            ground_truths.append(gt.tolist())
        ours = segmentation_scores(predictions, ground_truths)
        reference = reference_scores(predictions, ground_truths)
        for key in reference:
            assert abs(ours[key] - reference[key]) < 1e-6, (trial, key, ours, reference)


def test_the_metric_writes_per_video_counts_whose_sums_give_its_f1(tmp_path):
    classes = (BG, 'a', 'b')
    index = {name: i for i, name in enumerate(classes)}
    out = tmp_path / 'per_video.json'
    metric = ActionSegmentationMetric(per_video_file=str(out))
    metric.dataset_meta = dict(classes=classes)
    videos = [  # the case above: video 1 one TP; video 2 one TP and one FN at IoU 0.5
        ('v1', frames(('a', 4)), frames(('a', 4))),
        ('v2', frames(('b', 4)), frames(('a', 2), ('b', 2))),
    ]
    samples = [
        dict(video=v, pred_labels=np.array([index[x] for x in p]),
             gt_labels=np.array([index[x] for x in g]))
        for v, p, g in videos
    ]  # fmt: skip
    metric.process({}, samples)
    scores = metric.compute_metrics(metric.results)
    table = json.loads(out.read_text())
    assert table['videos'] == ['v1', 'v2']
    assert table['counts']['f1@50'] == [[1, 0, 0], [1, 0, 1]]
    tp, fp, fn = np.sum(table['counts']['f1@50'], axis=0)
    assert scores['f1@50'] == pytest.approx(80.0) == pytest.approx(200 * tp / (2 * tp + fp + fn))

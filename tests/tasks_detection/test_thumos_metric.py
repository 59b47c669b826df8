"""THUMOS14 mAP@tIoU: hand-computed cases and agreement with mmaction2's ActivityNet
evaluator run the way it reads files (ActivityNetLocalization)."""

import json

import numpy as np
import pytest

from dlm_core.evaluation import video_resamples
from tasks_detection.evaluation import TemporalDetectionMAP, detection_map
from tasks_detection.evaluation.temporal_detection_map import resampled
from tests.helpers.thumos_predictions import predict

THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7)


def write_json(path, videos, subset='Test', classes=('Jump', 'Run')):
    database = {
        vid: dict(
            subset=subset,
            duration=100.0,
            fps=30.0,
            annotations=[
                dict(label=classes[c], segment=[t0, t1], label_id=c) for t0, t1, c in segments
            ],
        )
        for vid, segments in videos.items()
    }
    path.write_text(json.dumps(dict(database=database)))
    return str(path)


def run_metric(ann_file, predictions, **kwargs):
    metric = TemporalDetectionMAP(ann_file=ann_file, subset='Test', **kwargs)
    metric.dataset_meta = dict(classes=('Jump', 'Run'))  # what the Evaluator sets
    metric.process({}, predict(predictions))
    return metric.compute_metrics(metric.results)


def test_perfect_detection_with_a_later_false_positive_is_100(tmp_path):
    ann = write_json(tmp_path / 'gt.json', {'v1': [(0, 10, 0)]})
    result = run_metric(ann, {'v1': [(0, 10, 0, 0.9), (20, 30, 0, 0.8)]})
    assert result == pytest.approx({f'mAP@{t:.1f}': 100.0 for t in THRESHOLDS} | {'mAP': 100.0})


def test_interpolated_precision_by_hand(tmp_path):
    # ranks: TP (recall .5, precision 1), FP (.5, .5), TP (1, 2/3)
    # AP = .5 * 1 + .5 * 2/3 (the envelope of precision) = 5/6 at every threshold
    ann = write_json(tmp_path / 'gt.json', {'v1': [(0, 10, 0), (20, 30, 0)]})
    result = run_metric(ann, {'v1': [(0, 10, 0, 0.9), (40, 50, 0, 0.8), (21, 31, 0, 0.7)]})
    assert result['mAP'] == pytest.approx(100 * 5 / 6)


def test_threshold_dependence_by_hand(tmp_path):
    # tIoU of [0, 6] with [0, 10] is 0.6: a hit up to 0.6, a miss at 0.7
    ann = write_json(tmp_path / 'gt.json', {'v1': [(0, 10, 0)]})
    result = run_metric(ann, {'v1': [(0, 6, 0, 0.9)]})
    assert [result[f'mAP@{t:.1f}'] for t in THRESHOLDS] == pytest.approx([100, 100, 100, 100, 0])
    assert result['mAP'] == pytest.approx(80.0)


def test_class_mean_and_duplicates(tmp_path):
    # class 0 found once, its duplicate is a false positive after full recall: AP 1;
    # class 1 has ground truth and no prediction: AP 0; the mean is 0.5
    ann = write_json(tmp_path / 'gt.json', {'v1': [(0, 10, 0)], 'v2': [(5, 8, 1)]})
    result = run_metric(ann, {'v1': [(0, 10, 0, 0.9), (0, 10, 0, 0.5)], 'v2': []})
    assert result['mAP'] == pytest.approx(50.0)


def test_classes_without_ground_truth_do_not_count(tmp_path):
    # "Run" appears only in a Validation video: the Test mean runs over "Jump" alone
    gt = write_json(tmp_path / 'gt.json', {'v1': [(0, 10, 0)]})
    database = json.loads((tmp_path / 'gt.json').read_text())
    database['database']['train'] = dict(
        subset='Validation', duration=50.0, fps=30.0,
        annotations=[dict(label='Run', segment=[1, 2], label_id=1)],
    )  # fmt: skip
    (tmp_path / 'gt.json').write_text(json.dumps(database))
    result = run_metric(gt, {'v1': [(0, 10, 0, 0.9), (3, 9, 1, 0.9)]})
    assert result['mAP'] == pytest.approx(100.0)


def test_prediction_for_an_unknown_video_names_the_file(tmp_path):
    ann = write_json(tmp_path / 'gt.json', {'v1': [(0, 10, 0)]})
    with pytest.raises(ValueError, match=r'gt.json \(subset "Test".*not in it: \[.nope.\]'):
        run_metric(ann, {'nope': [(0, 1, 0, 0.5)]})


def test_agrees_with_activitynet_localization_reading_files(tmp_path):
    from mmaction.evaluation.functional.eval_detection import ActivityNetLocalization

    rng = np.random.default_rng(0)
    truth, predictions = {}, {}
    for v in range(6):
        starts = rng.uniform(0, 80, 3)
        truth[f'vid{v}'] = [(s, s + rng.uniform(2, 15), int(rng.integers(3))) for s in starts]
        predictions[f'vid{v}'] = [
            (s + rng.normal(0, 2), s + rng.uniform(2, 15), int(rng.integers(3)), rng.random())
            for s in rng.uniform(0, 80, 8)
        ]
    ap, has_gt = detection_map(truth, predictions, 3, THRESHOLDS)
    names = ['a', 'b', 'c']
    # ActivityNet's files: ground-truth ids carry a 2-character prefix ("v_"), predictions not
    gt_file, pred_file = tmp_path / 'gt.json', tmp_path / 'pred.json'
    gt_file.write_text(
        json.dumps(
            {
                'v_' + vid: dict(
                    annotations=[dict(label=names[c], segment=[t0, t1]) for t0, t1, c in items]
                )
                for vid, items in truth.items()
            }
        )
    )
    pred_file.write_text(
        json.dumps(
            dict(
                results={
                    vid: [dict(label=names[c], segment=[t0, t1], score=s) for t0, t1, c, s in items]
                    for vid, items in predictions.items()
                }
            )
        )
    )
    reference = ActivityNetLocalization(
        str(gt_file), str(pred_file), tiou_thresholds=np.array(THRESHOLDS)
    )
    reference_map, _ = reference.evaluate()
    order = [reference.activity_index[n] for n in names]  # its class order is first-seen
    np.testing.assert_allclose(reference.ap[:, order], ap)
    assert has_gt.all()
    np.testing.assert_allclose(reference_map, ap.mean(axis=1))


def test_replicates_file_holds_the_map_of_each_video_resample(tmp_path):
    # v1: one hit at 0.9; v2: a false positive at 0.95 and a hit at 0.5.
    # both once: FP, TP, TP -> precision 1/2 at recall 1/2, 2/3 at 1 -> AP 2/3
    # v1 twice: TP, TP -> 1; v2 twice: FP, FP, TP, TP -> precision 1/2 at recall 1 -> 1/2
    ann = write_json(tmp_path / 'gt.json', {'v1': [(0, 10, 0)], 'v2': [(0, 10, 0)]})
    predictions = {'v1': [(0, 10, 0, 0.9)], 'v2': [(40, 50, 0, 0.95), (0, 10, 0, 0.5)]}
    out = tmp_path / 'replicates.json'
    normal = run_metric(ann, predictions, replicates_file=str(out), replicates=20)
    table = json.loads(out.read_text())
    assert table['videos'] == ['v1', 'v2'] and table['replicates'] == 20
    assert table['value'] == normal['mAP'] == pytest.approx(100 * 2 / 3)
    by_draw = {(0, 0): 100.0, (1, 1): 50.0, (0, 1): 100 * 2 / 3, (1, 0): 100 * 2 / 3}
    draws = [tuple(d) for d in video_resamples(['v2', 'v1'], 20)]
    assert {(0, 0), (1, 1)} <= set(draws)
    assert table['values'] == pytest.approx([by_draw[d] for d in draws])


def test_a_resample_drawing_a_video_twice_is_the_metric_on_its_copies(tmp_path):
    rng = np.random.default_rng(1)
    truth = {f'v{v}': [(s, s + 8, int(rng.integers(2))) for s in (5, 40)] for v in range(3)}
    predictions = {
        vid: [(t0 + rng.normal(0, 2), t1, c, rng.random()) for t0, t1, c in items * 2]
        for vid, items in truth.items()
    }
    out = tmp_path / 'replicates.json'
    run_metric(write_json(tmp_path / 'gt.json', truth), predictions, replicates_file=str(out))
    table = json.loads(out.read_text())
    draws = video_resamples(truth, 200)
    twice = next(r for r, d in enumerate(draws) if sorted(d) == [0, 0, 2])  # v0, v0, v2
    copies = {'v0': truth['v0'], 'v0#2': truth['v0'], 'v2': truth['v2']}
    copied = {vid: predictions[vid.split('#')[0]] for vid in copies}
    by_hand = run_metric(write_json(tmp_path / 'copies.json', copies), copied)
    assert table['values'][twice] == pytest.approx(by_hand['mAP'])


def test_every_resample_equals_the_map_of_its_copied_videos(tmp_path):
    """The replicates come from once-matched predictions (``temporal_matches``); each must
    be the library's mAP on the resample's copied ground truth and predictions: score ties
    within and across videos, two ground truths of equal tIoU, a video with no ground truth
    of a predicted class, a class with no ground truth at all (of three)."""
    rng = np.random.default_rng(3)
    truth = {}
    for v in range(12):
        starts = rng.choice(np.arange(0, 90, 6), size=3, replace=False)
        truth[f'v{v}'] = [(float(s), float(s) + 6, int(rng.integers(2))) for s in starts]
    truth['v3'] = [(10.0, 20.0, 0), (10.0, 20.0, 0)]  # equal tIoU to any prediction
    predictions = {}
    for vid, items in truth.items():
        rows = [(t0 + rng.normal(0, 1.5), t1 + rng.normal(0, 1.5), c) for t0, t1, c in items]
        rows += [(float(rng.uniform(0, 90)), 0.0, int(rng.integers(3))) for _ in range(3)]
        predictions[vid] = [
            (t0, max(t1, t0 + 4), c, float(rng.choice([0.25, 0.5, 0.75, rng.random()])))
            for t0, t1, c in rows
        ]
    predictions = dict(reversed(list(predictions.items())))  # copies in the results' order
    classes = ('Jump', 'Run', 'Throw')
    ann = write_json(tmp_path / 'gt.json', truth, classes=classes)
    out = tmp_path / 'replicates.json'
    metric = TemporalDetectionMAP(ann_file=ann, replicates_file=str(out), replicates=60)
    metric.dataset_meta = dict(classes=classes)
    metric.process({}, predict(predictions))
    normal = metric.compute_metrics(metric.results)
    table = json.loads(out.read_text())
    assert table['value'] == normal['mAP']
    loaded = metric.ground_truth()
    stored = {vid: items for vid, items in metric.results}
    for counts, value in zip(
        (np.bincount(d, minlength=len(truth)) for d in video_resamples(truth, 60)),
        table['values'],
    ):
        assert value == metric.scores(*resampled(loaded, stored, counts))['mAP']
    assert len(set(table['values'])) > 20

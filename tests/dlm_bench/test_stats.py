"""dlm_bench.stats: paired bootstrap intervals checked against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
from dlm_bench import stats


def records(method, values, per_video=None, primary='ssv2', mode=None):
    out = []
    for seed, value in enumerate(values):
        record = dict(
            name=f'{method}/{primary}/seed{seed}', method=method, primary=primary, seed=seed,
            split='test', value=value, infer_mode=mode,
        )  # fmt: skip
        if per_video is not None:
            record['videos'] = [str(i) for i in range(len(per_video[seed]))]
            record['per_video'] = per_video[seed]
        out.append(record)
    return out


def test_a_constant_difference_has_a_zero_width_interval_at_that_value():
    a = records('dlm', [62.0, 70.0, 55.0], [[100, 0, 100, 50], [0, 0, 100, 50], [100, 100, 0, 0]])
    b = records('full', [60.0, 68.0, 53.0], [[98, -2, 98, 48], [-2, -2, 98, 48], [98, 98, -2, -2]])
    c = stats.compare(a + b, 'ssv2', {'method': 'dlm'}, {'method': 'full'})
    assert (c.diff, c.low, c.high) == pytest.approx((2.0, 2.0, 2.0))
    assert c.width == pytest.approx(0.0) and c.verdict == 'ahead'
    assert c.videos == 4 and c.seeds == (0, 1, 2)
    assert c.basis == '4 test videos x 3 seeds'


def test_a_symmetric_difference_is_a_tie():
    # per video differences +1 and -1 in equal numbers on every seed
    a = records('dlm', [0.0, 0.0], [[1, 0, 1, 0], [1, 0, 1, 0]])
    b = records('full', [0.0, 0.0], [[0, 1, 0, 1], [0, 1, 0, 1]])
    c = stats.compare(a + b, 'ssv2', {'method': 'dlm'}, {'method': 'full'})
    assert c.diff == pytest.approx(0.0)
    assert c.low < 0 < c.high and c.verdict == 'tie'


def test_behind_when_the_interval_is_below_zero_and_the_bootstrap_is_seeded():
    rng = np.random.default_rng(1)
    diff = -3.0 + rng.normal(size=(5, 50))
    first = stats.bootstrap(diff, seed=7)
    assert first == stats.bootstrap(diff, seed=7)
    assert first != stats.bootstrap(diff, seed=8)
    mean, low, high = first
    assert mean == pytest.approx(diff.mean())
    assert low < mean < high < 0 and stats.verdict(low, high) == 'behind'


def test_seeds_only_without_per_video_scores():
    a = records('dlm', [50.0, 52.0, 54.0])
    b = records('full', [49.0, 50.0, 51.0])  # differences 1, 2, 3
    c = stats.compare(a + b, 'ssv2', {'method': 'dlm'}, {'method': 'full'})
    assert c.videos == 0 and c.basis == '3 seeds only'
    assert c.diff == pytest.approx(2.0) and 1.0 <= c.low <= c.high <= 3.0
    # one shared seed and no per-video scores: no interval
    assert stats.compare(a[:1] + b, 'ssv2', {'method': 'dlm'}, {'method': 'full'}) is None


def test_pairs_only_shared_seeds_and_refuses_different_test_videos():
    a = records('dlm', [1.0, 2.0, 3.0], [[1, 1], [2, 2], [3, 3]])
    b = records('full', [0.0, 0.0], [[0, 0], [0, 0]])
    seeds, va, vb = stats.paired(a + b, {'method': 'dlm'}, {'method': 'full'})
    assert seeds == (0, 1) and va == [[1, 1], [2, 2]]
    b[1]['videos'] = ['0', 'x']
    with pytest.raises(ValueError, match='test videos differ'):
        stats.compare(a + b, 'ssv2', {'method': 'dlm'}, {'method': 'full'})


def test_a_model_without_seeds_pairs_with_every_seed():
    a = records('zero_shot_dlm', [3.0, 5.0], primary='gtea')
    original = dict(name='o', method='zero_shot_original', primary='gtea', seed=None,
                    split='test', value=1.0)  # fmt: skip
    c = stats.compare(a + [original], 'gtea', {'method': 'zero_shot_dlm'},
                      {'method': 'zero_shot_original'})  # fmt: skip
    assert c.seeds == (0, 1) and c.diff == pytest.approx(3.0)


def test_mean_interval_of_one_selection():
    chosen = records('dlm', [10.0, 20.0], [[0, 20], [10, 30]])
    mean, low, high = stats.mean_interval(chosen, {'method': 'dlm'})
    assert mean == pytest.approx(15.0) and low <= mean <= high
    assert stats.mean_interval(records('full', [7.0]), {'method': 'full'}) == (7.0, None, None)
    assert stats.mean_interval(chosen, {'method': 'other'}) is None


def f1_records(method, counts, primary='50salads'):
    out = records(method, [float(stats.f1_scores(np.asarray(c)[None])[0]) for c in counts])
    for record, seed_counts in zip(out, counts):
        record.update(primary=primary, videos=[str(i) for i in range(len(seed_counts))])
        record['per_video_counts'] = seed_counts
    return out


def test_f1_intervals_resample_the_videos_counts():
    # one seed, two videos: F1 of the sums 80 (TP 2, FP 0, FN 1); a replicate of video 1
    # twice scores 100, of video 2 twice 2/3 -> 66.67: every replicate lies in between
    counts = [[[1, 0, 0], [1, 0, 1]]]
    mean, low, high = stats.bootstrap_f1(counts)
    assert mean == pytest.approx(80.0)
    assert 200 / 3 - 1e-9 <= low <= 80.0 <= high <= 100.0 and low < high
    same = stats.bootstrap_f1(counts, counts)
    assert same == pytest.approx((0.0, 0.0, 0.0))
    with pytest.raises(ValueError, match=r'expected \(seeds, videos, 3\) counts'):
        stats.bootstrap_f1([[1, 0, 0]])


def test_f1_comparisons_pair_videos_and_seeds_and_say_so():
    a = f1_records('dlm', [[[1, 0, 0], [1, 0, 1], [2, 1, 0]]] * 2)
    b = f1_records('full', [[[1, 1, 0], [0, 1, 1], [2, 1, 0]]] * 2)
    c = stats.compare(a + b, '50salads', {'method': 'dlm'}, {'method': 'full'})
    assert c.diff == pytest.approx(a[0]['value'] - b[0]['value'])
    assert c.videos == 3 and c.seeds == (0, 1) and c.basis == '3 test videos x 2 seeds'
    assert c.low <= c.diff <= c.high
    mean, low, high = stats.mean_interval(a, {'method': 'dlm'})
    assert mean == pytest.approx(a[0]['value']) and low <= mean <= high


def test_f1_pairs_each_seed_with_its_own_seed():
    # the same counts on both sides seed by seed, different between seeds: only a pairing
    # that resamples one seed index for both sides gives exactly 0 in every replicate
    seeds = [[[1, 0, 0], [1, 0, 1]], [[0, 2, 1], [3, 1, 0]], [[2, 0, 2], [0, 0, 1]]]
    a, b = f1_records('dlm', seeds), f1_records('full', seeds)
    c = stats.compare(a + b, '50salads', {'method': 'dlm'}, {'method': 'full'})
    assert (c.diff, c.low, c.high) == pytest.approx((0.0, 0.0, 0.0)) and c.verdict == 'tie'


def replicate_records(method, values, replicates, videos=('a', 'b', 'c'), seed=0):
    """mAP records: each seed's value and its values on the shared video resamples."""
    out = records(method, values, primary='thumos14')
    for record, values_r in zip(out, replicates):
        record.update(videos=list(videos), replicate_values=values_r, replicate_seed=seed)
    return out


def test_map_replicates_pair_video_resamples_and_seeds():
    rng = np.random.default_rng(0)
    base = rng.normal(50, 5, size=(3, 200))  # 3 seeds x 200 video resamples
    b = replicate_records('full', [50.0, 52.0, 48.0], base.tolist())
    # A = B + 1.5 on every replicate of every seed: exactly [1.5, 1.5]
    a = replicate_records('dlm', [51.5, 53.5, 49.5], (base + 1.5).tolist())
    c = stats.compare(a + b, 'thumos14', {'method': 'dlm'}, {'method': 'full'})
    assert (c.diff, c.low, c.high) == pytest.approx((1.5, 1.5, 1.5))
    assert c.verdict == 'ahead' and c.videos == 3 and c.basis == '3 test videos x 3 seeds'


def test_replicate_bootstrap_by_hand():
    # one seed: the interval is the percentiles of the video resamples' differences
    diff = np.arange(201, dtype=float)  # resample r: a difference of r
    mean, low, high = stats.bootstrap_replicates([7.0], [diff], minus=([2.0], [0 * diff]))
    assert mean == 5.0 and (low, high) == pytest.approx((5.0, 195.0))
    # two seeds with differences +1 and -1 on every resample: replicate r draws the seeds
    # with replacement, so it is +1 (both draws seed 0), -1, or 0
    a = [[1.0] * 400, [-1.0] * 400]
    mean, low, high = stats.bootstrap_replicates([1.0, -1.0], a)
    assert mean == 0.0 and (low, high) == (-1.0, 1.0)
    with pytest.raises(ValueError, match=r'expected \(seeds,\) values and \(seeds, R\)'):
        stats.bootstrap_replicates([1.0], [1.0, 2.0])


def test_map_replicates_of_other_videos_or_resamples_are_refused():
    a = replicate_records('dlm', [51.0], [[51.0, 52.0]])
    other_videos = replicate_records('full', [50.0], [[50.0, 50.0]], videos=('a', 'b', 'd'))
    with pytest.raises(ValueError, match='their test videos differ'):
        stats.compare(a + other_videos, 'thumos14', {'method': 'dlm'}, {'method': 'full'})
    other_seed = replicate_records('full', [50.0], [[50.0, 50.0]], seed=1)
    with pytest.raises(ValueError, match='their replicates are of other video resamples'):
        stats.compare(a + other_seed, 'thumos14', {'method': 'dlm'}, {'method': 'full'})


def test_map_records_without_replicates_fall_back_to_seeds_only():
    a = replicate_records('dlm', [51.0, 53.0, 50.0], [[51.0, 52.0]] * 3)
    b = records('full', [50.0, 51.0, 49.0], primary='thumos14')  # an earlier run's records
    c = stats.compare(a + b, 'thumos14', {'method': 'dlm'}, {'method': 'full'})
    assert c.videos == 0 and c.basis == '3 seeds only'
    mean, low, high = stats.mean_interval(a, {'method': 'dlm'})
    assert mean == pytest.approx(154 / 3) and (low, high) == pytest.approx((51.0, 52.0), abs=0.03)
    assert stats.mean_interval(b, {'method': 'full'})[0] == pytest.approx(50.0)

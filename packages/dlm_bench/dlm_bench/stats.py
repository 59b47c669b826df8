"""Paired comparisons "A - B" with 95 % bootstrap intervals over test videos and seeds.

Paired: the same seeds (the prompted run of seed k starts from the full fine-tuning run of
seed k) and the same test videos. Each bootstrap replicate resamples the shared seeds and
the shared test videos with replacement and recomputes the mean difference; the interval
is the 2.5 and 97.5 percentiles of the replicates. F1 over summed counts
(``per_video_counts``) resamples the videos' TP/FP/FN and recomputes F1 from their sums.
mAP, no sum over videos, comes with the metric recomputed by the run itself on fixed
bootstrap resamples of the test videos (``replicate_values``: resample ``r`` is the same
for every run on those videos); replicate ``r`` of the interval resamples the shared seeds
and takes video resample ``r`` for all of them (:func:`bootstrap_replicates`). Where a
metric has no per-video form (records of earlier runs carry none), replicates resample
seeds only. The verdict is
``ahead`` when the interval lies above 0, ``behind`` below, ``tie`` when it contains 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .records import f1_scores

REPLICATES = 2000
LEVEL = 0.95


@dataclass(frozen=True)
class Comparison:
    """``a - b`` on one primary: the mean difference, its interval and the verdict."""

    a: str
    b: str
    primary: str
    diff: float
    low: float
    high: float
    seeds: tuple
    videos: int  # 0: the interval is over seeds only
    verdict: str

    @property
    def width(self) -> float:
        return self.high - self.low

    @property
    def basis(self) -> str:
        seeds = f'{len(self.seeds)} seed{"s" if len(self.seeds) != 1 else ""}'
        return f'{self.videos} test videos x {seeds}' if self.videos else f'{seeds} only'

    def text(self, digits: int = 2) -> str:
        """``+1.23 [0.40, 2.05]``."""
        return f'{self.diff:+.{digits}f} [{self.low:+.{digits}f}, {self.high:+.{digits}f}]'


def verdict(low: float, high: float) -> str:
    if low > 0:
        return 'ahead'
    if high < 0:
        return 'behind'
    return 'tie'


def bootstrap(diff: np.ndarray, replicates: int = REPLICATES, seed: int = 0) -> tuple:
    """``(mean, low, high)`` of the paired differences ``diff``: shape ``(seeds,)`` or
    ``(seeds, videos)``; seeds and videos are resampled independently."""
    diff = np.asarray(diff, dtype=float)
    if diff.ndim not in (1, 2) or diff.size == 0:
        raise ValueError(
            f'bootstrap: expected (seeds,) or (seeds, videos) values, got {diff.shape}'
        )
    rng = np.random.default_rng(seed)
    grid = diff[:, None] if diff.ndim == 1 else diff
    seeds, videos = grid.shape
    s = rng.integers(0, seeds, size=(replicates, seeds))
    v = rng.integers(0, videos, size=(replicates, videos))
    # per replicate: mean over the resampled seeds of the mean over the resampled videos
    per_seed = grid[s]  # (replicates, seeds, videos)
    means = np.take_along_axis(per_seed, v[:, None, :].repeat(seeds, axis=1), axis=2)
    values = means.mean(axis=(1, 2))
    tail = (1 - LEVEL) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(grid.mean()), float(low), float(high)


def bootstrap_f1(counts: np.ndarray, minus=None, replicates: int = REPLICATES, seed: int = 0):
    """``(mean, low, high)`` of F1 from per-video counts ``(seeds, videos, 3)``, or of the
    paired difference F1(counts) - F1(minus) (same shape, same videos): seeds and videos
    resampled independently, F1 recomputed from each replicate's summed counts."""
    counts = np.asarray(counts, float)
    if counts.ndim != 3 or counts.shape[-1] != 3 or counts.size == 0:
        raise ValueError(f'bootstrap_f1: expected (seeds, videos, 3) counts, got {counts.shape}')
    if minus is not None and np.shape(minus) != counts.shape:
        raise ValueError(f'bootstrap_f1: {counts.shape} counts against {np.shape(minus)}')
    sides = [counts] if minus is None else [counts, np.asarray(minus, float)]
    rng = np.random.default_rng(seed)
    seeds, videos, _ = counts.shape
    s = rng.integers(0, seeds, size=(replicates, seeds))
    v = rng.integers(0, videos, size=(replicates, videos))
    # (seeds, replicates): each seed's F1 on each replicate's videos
    scores = [f1_scores(side[:, v]) for side in sides]
    per_seed = scores[0] if minus is None else scores[0] - scores[1]
    values = np.take_along_axis(per_seed.T, s, axis=1).mean(axis=1)
    full = [f1_scores(side) for side in sides]
    mean = full[0] if minus is None else full[0] - full[1]
    tail = (1 - LEVEL) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(mean.mean()), float(low), float(high)


def bootstrap_replicates(values, replicates, minus=None, seed: int = 0) -> tuple:
    """``(mean, low, high)`` of a metric from each seed's value ``(seeds,)`` and its values
    on the shared video resamples ``(seeds, R)``, or of the paired difference with
    ``minus`` (``(values, replicates)`` of B, same shapes, same resamples). Replicate ``r``
    draws seeds with replacement and uses video resample ``r`` for every drawn seed."""
    values, replicates = np.asarray(values, float), np.asarray(replicates, float)
    if replicates.ndim != 2 or replicates.size == 0 or values.shape != replicates.shape[:1]:
        raise ValueError(
            f'bootstrap_replicates: expected (seeds,) values and (seeds, R) replicates, got '
            f'{values.shape} and {replicates.shape}'
        )
    if minus is not None:
        b_values, b_replicates = (np.asarray(m, float) for m in minus)
        if b_values.shape != values.shape or b_replicates.shape != replicates.shape:
            raise ValueError(
                f'bootstrap_replicates: {replicates.shape} replicates against {b_replicates.shape}'
            )
        values, replicates = values - b_values, replicates - b_replicates
    seeds, count = replicates.shape
    drawn = np.random.default_rng(seed).integers(0, seeds, size=(count, seeds))
    per_replicate = replicates[drawn, np.arange(count)[:, None]].mean(axis=1)
    tail = (1 - LEVEL) / 2 * 100
    low, high = np.percentile(per_replicate, [tail, 100 - tail])
    return float(values.mean()), float(low), float(high)


def _same_resamples(records: list) -> bool:
    """Whether the records' replicates are of the same video resamples."""
    keys = {
        (tuple(r['videos']), r.get('replicate_seed'), len(r['replicate_values'])) for r in records
    }
    return len(keys) == 1


def _select(records: list, **where) -> list:
    return [r for r in records if all(r.get(k) == v for k, v in where.items())]


#: per-video fields of a test record, in the order they are preferred
PER_VIDEO_FIELDS = ('per_video', 'per_video_counts', 'replicate_values')


def _by_seed(chosen: list) -> dict:
    """``{seed: record}``; two records of one seed (two parts' runs of one name, or a
    selection that names no inference mode) are an error, never one picked silently."""
    by_seed: dict = {}
    for r in chosen:
        if r['seed'] in by_seed:
            raise ValueError(
                f'{r.get("name")}: two records of seed {r["seed"]} in one selection '
                f'({by_seed[r["seed"]].get("part")}, {r.get("part")}); a comparison reads '
                'one run per seed'
            )
        by_seed[r['seed']] = r
    return by_seed


def _pairs(records: list, a: dict, b: dict, split: str = 'test') -> tuple:
    """``(seeds, per-video field or None, a's records, b's records)`` by seed."""
    ra = _by_seed(_select(records, split=split, **a))
    rb = _by_seed(_select(records, split=split, **b))
    if list(rb) == [None]:
        rb = {seed: rb[None] for seed in ra}
    seeds = tuple(sorted(s for s in ra if s in rb))
    if not seeds:
        return (), None, ra, rb
    field = next(
        (f for f in PER_VIDEO_FIELDS if all(f in ra[s] and f in rb[s] for s in seeds)), None
    )
    if field is None:
        return seeds, None, ra, rb
    for s in seeds:
        if ra[s]['videos'] != rb[s]['videos']:
            raise ValueError(
                f'{ra[s].get("name")} and {rb[s].get("name")}: their test videos differ '
                f'({len(ra[s]["videos"])} vs {len(rb[s]["videos"])}); no paired comparison'
            )
        if field == 'replicate_values' and not _same_resamples([ra[s], rb[s]]):
            raise ValueError(
                f'{ra[s].get("name")} and {rb[s].get("name")}: their replicates are of '
                'other video resamples (seed or count differ); no paired comparison'
            )
    videos = ra[seeds[0]]['videos']
    for s in seeds[1:]:
        if ra[s]['videos'] != videos:
            raise ValueError(f'{ra[s].get("name")}: its test videos differ from seed {seeds[0]}')
    if field == 'replicate_values' and not _same_resamples([ra[s] for s in seeds]):
        raise ValueError(
            f"{ra[seeds[0]].get('name')}: its seeds' replicates are of other video resamples"
        )
    return seeds, field, ra, rb


def paired(records: list, a: dict, b: dict, split: str = 'test') -> tuple:
    """``(seeds, a values, b values)`` of two selections of records; values are per-video
    scores (or counts, or replicates) where both sides have them for every seed, else the
    metric values. A ``b`` with one record of seed None (a model without seeds) pairs with
    every seed."""
    seeds, field, ra, rb = _pairs(records, a, b, split)
    if not seeds:
        return (), None, None
    field = field or 'value'
    return seeds, [ra[s][field] for s in seeds], [rb[s][field] for s in seeds]


def compare(
    records: list, primary: str, a: dict, b: dict, a_name: str = 'A', b_name: str = 'B', seed=0
) -> Comparison | None:
    """The paired comparison of selections ``a`` and ``b`` (record field filters) on
    ``primary``; None when they share no seed, or share one seed without per-video
    scores (no interval can be formed)."""
    seeds, field, ra, rb = _pairs(records, {'primary': primary, **a}, {'primary': primary, **b})
    if not seeds:
        return None
    if field == 'replicate_values':  # the metric on the shared video resamples
        sides = [
            ([r[s]['value'] for s in seeds], [r[s]['replicate_values'] for s in seeds])
            for r in (ra, rb)
        ]
        mean, low, high = bootstrap_replicates(*sides[0], minus=sides[1], seed=seed)
        videos = len(ra[seeds[0]]['videos'])
        return Comparison(
            a_name, b_name, primary, mean, low, high, seeds, videos, verdict(low, high)
        )
    va = np.asarray([ra[s][field or 'value'] for s in seeds], float)
    vb = np.asarray([rb[s][field or 'value'] for s in seeds], float)
    if va.ndim == 3:  # per-video counts (seeds, videos, 3)
        mean, low, high = bootstrap_f1(va, vb, seed=seed)
        videos = va.shape[1]
    else:
        diff = va - vb
        if diff.ndim == 1 and len(seeds) < 2:
            return None
        mean, low, high = bootstrap(diff, seed=seed)
        videos = diff.shape[1] if diff.ndim == 2 else 0
    return Comparison(a_name, b_name, primary, mean, low, high, seeds, videos, verdict(low, high))


def mean_interval(records: list, where: dict, seed: int = 0) -> tuple | None:
    """``(mean, low, high)`` of one selection's values: over videos and seeds where every
    record has per-video scores (or replicates), else over seeds (None with fewer than
    two)."""
    chosen = _select(records, split='test', **where)
    if not chosen:
        return None
    _by_seed(chosen)  # one run per seed, never two parts' runs averaged
    same_videos = len({tuple(r.get('videos', ())) for r in chosen}) == 1
    if all('per_video' in r for r in chosen) and same_videos:
        return bootstrap(np.asarray([r['per_video'] for r in chosen], float), seed=seed)
    if all('per_video_counts' in r for r in chosen) and same_videos:
        return bootstrap_f1([r['per_video_counts'] for r in chosen], seed=seed)
    if all('replicate_values' in r for r in chosen) and _same_resamples(chosen):
        return bootstrap_replicates(
            [r['value'] for r in chosen], [r['replicate_values'] for r in chosen], seed=seed
        )
    if len(chosen) < 2:
        return float(chosen[0]['value']), None, None
    return bootstrap(np.asarray([r['value'] for r in chosen], float), seed=seed)

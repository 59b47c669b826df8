"""A metric on bootstrap resamples of the test videos, for intervals of metrics that are no
sum over videos (mAP).

A resample draws as many videos as the test set has, with replacement. Resample ``r``
depends only on the sorted unique video ids, the number of replicates and the seed, so
every run on the same test videos (any method, any training seed, any order of
evaluation) sees the same resamples: what pairs two runs' replicate ``r``. A metric
evaluates its own primary on each resample with its own evaluator, a video drawn ``k``
times entered ``k`` times (its ground truth and its predictions copied under the distinct
ids :func:`copy_name` gives), and writes the values with :func:`write_video_replicates`:
``{"videos": [...], "replicates": R, "seed": s, "values": [...], "value": v}``, ``value``
being the metric on every video once (it must equal the run's reported metric).
"""

from __future__ import annotations

import json
import os
import os.path as osp
import time
from collections.abc import Callable, Iterable

import numpy as np
from mmengine.logging import print_log


def sorted_videos(videos: Iterable) -> list[str]:
    """The unique video ids as strings, sorted: the order the resamples index."""
    return sorted({str(v) for v in videos})


def video_resamples(videos: Iterable, replicates: int, seed: int = 0) -> list[np.ndarray]:
    """``replicates`` arrays of indices into :func:`sorted_videos` ``(videos)``, each as
    long as that list, drawn with replacement; the same for every run on the same videos."""
    count = len(sorted_videos(videos))
    if count == 0:
        raise ValueError('video_resamples: no videos to resample')
    if replicates < 0:
        raise ValueError(f'video_resamples: replicates must be >= 0, got {replicates}')
    rng = np.random.default_rng(seed)
    return list(rng.integers(0, count, size=(replicates, count)))


def copy_name(video: str, copy: int) -> str:
    """The id of copy ``copy`` (0-based) of a video: the first keeps its own id, so that
    a resample drawing every video once is the test set itself."""
    return str(video) if copy == 0 else f'{video}#{copy + 1}'


def write_video_replicates(
    path: str,
    videos: Iterable,
    evaluate: Callable[[np.ndarray], float],
    replicates: int,
    seed: int = 0,
    what: str = 'metric',
) -> dict:
    """Evaluate ``evaluate(counts)`` on every video once and on each resample, and write
    the replicates file at ``path``; returns its content.

    ``counts`` is an int array aligned with :func:`sorted_videos` ``(videos)``: how many
    times each video is drawn (0: left out).
    """
    ids = sorted_videos(videos)
    start = time.perf_counter()
    value = float(evaluate(np.ones(len(ids), dtype=int)))
    values = [
        float(evaluate(np.bincount(draw, minlength=len(ids))))
        for draw in video_resamples(ids, replicates, seed)
    ]
    seconds = time.perf_counter() - start
    table = dict(videos=ids, replicates=replicates, seed=seed, values=values, value=value)
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = f'{path}.tmp'
    with open(tmp, 'w') as handle:
        json.dump(table, handle)
    os.replace(tmp, path)
    print_log(
        f'{what} on {replicates} bootstrap resamples of {len(ids)} test videos '
        f'({seconds:.1f} s): {path}',
        logger='current',
    )
    return table

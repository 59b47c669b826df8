"""Split sizes of the demo sets that write ``{split: (videos, held out)}`` in their bench
preset (the box and instance sets): the checks and the loop their ``write_demo`` share."""

from __future__ import annotations

from collections.abc import Callable, Mapping


def write_bench_splits(
    write_split: Callable, folder: str, seed: int, bench_splits: Mapping, limit: int | None
) -> None:
    """``write_split(folder, split, seed, count, held_out)`` for each bench split, each count
    capped at ``limit`` (for tests)."""
    for split, (count, held_out) in bench_splits.items():
        if limit is not None:
            count, held_out = min(count, limit), min(held_out, limit)
        write_split(folder, split, seed, count, held_out)


def check_split_names(num_videos: Mapping | None, splits: Mapping) -> None:
    """Refuse a ``num_videos`` that names a split the set does not have."""
    unknown = set(num_videos or {}) - set(splits)
    if unknown:
        raise ValueError(
            f'num_videos names unknown splits {sorted(unknown)}; splits: {list(splits)}'
        )

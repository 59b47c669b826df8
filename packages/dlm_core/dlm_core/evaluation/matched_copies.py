"""Bootstrap resamples of a COCO-style evaluator without evaluating again.

pycocotools' ``COCOeval`` and its video forms (mmdet's ``YTVISeval``) match predictions to
ground truth per item (image or video) and class in ``evaluate()``, then pool the matches
in ``accumulate()``. An item drawn k times by a resample has k identical per-item matches,
so a resample's metric is ``accumulate()`` over the once-matched items listed with their
copies. The copies are listed in the order new integer ids would give them (every drawn
item once, then the items drawn twice, ...), which is how the evaluator breaks score ties
between copies: the result equals evaluating the copied ground truth and predictions.
Duck-typed: nothing here imports the evaluators.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence


def copy_order(counts: Sequence[int]) -> list[tuple[int, int]]:
    """``(copy, position)`` of every copy of a resample, ``counts[position]`` copies of the
    item at ``position`` (of the evaluator's sorted ids), in the copies' id order."""
    counts = [int(c) for c in counts]
    return [
        (copy, position)
        for copy in range(max(counts, default=0))
        for position, count in enumerate(counts)
        if count > copy
    ]


def accumulate_copies(evaluation, ids_field: str, order: Sequence[tuple[int, int]]):
    """``evaluation.accumulate()`` (after ``evaluate()``) on the items of ``order`` (from
    :func:`copy_order`), the evaluator left as it was; returns its ``eval`` dict.

    ``ids_field``: the parameter holding the item ids (``'imgIds'`` for ``COCOeval``,
    ``'vidIds'`` for ``YTVISeval``)."""
    ids = list(getattr(evaluation._paramsEval, ids_field))
    once, count = evaluation.evalImgs, len(ids)
    blocks = len(evaluation._paramsEval.catIds) * len(evaluation._paramsEval.areaRng)
    step = 1 + max(ids)
    resampled = [ids[position] + copy * step for copy, position in order]
    copies = [once[block * count + position] for block in range(blocks) for _, position in order]
    params, evaluated = evaluation.params, evaluation._paramsEval
    try:
        evaluation.evalImgs = copies
        setattr(params, ids_field, resampled)
        setattr(evaluated, ids_field, resampled)
        with contextlib.redirect_stdout(io.StringIO()):  # the evaluators print as they go
            evaluation.accumulate()
    finally:
        evaluation.evalImgs = once
        setattr(params, ids_field, ids)
        setattr(evaluated, ids_field, ids)
    return evaluation.eval

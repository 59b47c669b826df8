"""Make mmdet 3.3's YouTube-VIS evaluator run on numpy >= 1.24.

``mmdet/evaluation/functional/ytviseval.py`` (``YTVISeval.accumulate``) calls
``np.cumsum(...).astype(dtype=np.float)``; numpy 1.24 removed the ``np.float`` alias, so
``YouTubeVISMetric`` fails after all predictions are made. mmdet's code is kept as it is: only
the ``np`` name inside that one module is pointed at numpy plus the removed alias (which
always meant the builtin ``float``); numpy itself is not touched.
"""

from __future__ import annotations

import types

import numpy


class _NumpyWithFloatAlias(types.ModuleType):
    """numpy, plus ``float`` (the alias numpy < 1.24 had for the builtin)."""

    float = float

    def __getattr__(self, name):
        return getattr(numpy, name)


def apply() -> None:
    """Idempotent; nothing to do where numpy still has the alias."""
    from mmdet.evaluation.functional import ytviseval

    if 'float' in vars(numpy) or isinstance(ytviseval.np, _NumpyWithFloatAlias):
        return
    ytviseval.np = _NumpyWithFloatAlias('numpy')


apply()

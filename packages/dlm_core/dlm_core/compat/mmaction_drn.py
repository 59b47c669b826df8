"""Make ``import mmaction.models`` work with the mmaction2 1.2.0 wheel.

The 1.2.0 wheel on PyPI ships without ``mmaction/models/localizers/drn/``, yet
``mmaction/models/localizers/__init__.py`` runs ``from .drn.drn import DRN``, so every
``import mmaction.models`` fails with "No module named mmaction.models.localizers.drn".

This module appends a finder to ``sys.meta_path``. Finders are asked in order, so ours
is consulted only after the normal import machinery failed to find the DRN package:
an mmaction2 that ships it (a source install, a fixed release) is never touched, and
nothing is imported until mmaction itself asks. The stand-in provides the ``DRN`` name
the package ``__init__`` imports; building it raises an error that says why.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import types

_PACKAGE = 'mmaction.models.localizers.drn'
_MODULE = _PACKAGE + '.drn'


class _MissingDRN:
    """Stand-in for mmaction2's DRN localizer, absent from the 1.2.0 wheel."""

    def __init__(self, *args, **kwargs):
        raise ImportError(
            'mmaction2 1.2.0 from PyPI ships without mmaction/models/localizers/drn, so the '
            'DRN localizer cannot be built; install mmaction2 from source to use it.'
        )


class _MissingDRNLoader(importlib.abc.Loader):
    def create_module(self, spec):
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        if module.__name__ == _PACKAGE:
            module.__path__ = []
        else:
            module.DRN = _MissingDRN
        module.__doc__ = 'Stand-in for the DRN files missing from the mmaction2 1.2.0 wheel.'


class MissingDRNFinder(importlib.abc.MetaPathFinder):
    """Finds the two DRN module names, and only once every other finder gave up."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in (_PACKAGE, _MODULE):
            return None
        return importlib.machinery.ModuleSpec(
            fullname, _MissingDRNLoader(), is_package=fullname == _PACKAGE
        )


def install_missing_drn_finder() -> None:
    """Append the finder to ``sys.meta_path`` (idempotent)."""
    if not any(isinstance(f, MissingDRNFinder) for f in sys.meta_path):
        sys.meta_path.append(MissingDRNFinder())

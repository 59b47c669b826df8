"""Where the repository's files are, whichever folder pytest was started from, and the
environment of a subprocess that imports the test helpers and the tools as packages."""

from __future__ import annotations

import os
import os.path as osp

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
RUNTIME = osp.join(ROOT, 'configs', '_base_', 'default_runtime.py')


def repo_env(*paths, **variables: str) -> dict[str, str]:
    """``os.environ`` with the repository root (``tests.helpers``, ``tools``) and ``paths``
    first on PYTHONPATH (before what it held), and ``variables`` set."""
    held = [os.environ['PYTHONPATH']] if os.environ.get('PYTHONPATH') else []
    python_path = os.pathsep.join([ROOT, *map(str, paths), *held])
    return dict(os.environ, PYTHONPATH=python_path, **variables)

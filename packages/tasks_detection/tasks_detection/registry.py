"""Registries of the ``tasks_detection`` scope.

Children of mmdet's registries (so a config with ``default_scope='tasks_detection'`` reaches
this package's classes, then mmdet's, then MMEngine's) and of dlm_core's ``TASKS``. mmdet is
the right parent for all three detection tasks: mmaction2 registers its AVA RoI heads into
mmdet's ``MODELS`` and builds its AVA detector as mmdet's ``FastRCNN``; mmaction2's own
classes are reached as ``mmaction.<Name>``.
"""

from __future__ import annotations

import dlm_core  # noqa: F401  (first: it makes mmaction2 1.2.0's models importable)

# isort: split
from mmdet import registry as mmdet_registry
from mmengine.registry import DefaultScope

from dlm_core.registry import task_package_registries

SCOPE = 'tasks_detection'

#: Children of mmdet's registries that import this package's subpackages
#: (models/, datasets/, datasets/transforms/, evaluation/, hooks/, plugins/) on their first
#: lookup: dlm_core.registry.PACKAGE_LAYOUT.
_registries = task_package_registries(SCOPE, mmdet_registry)
MODELS, DATASETS, TRANSFORMS = (_registries[n] for n in ('MODELS', 'DATASETS', 'TRANSFORMS'))
METRICS, HOOKS, TASKS = (_registries[n] for n in ('METRICS', 'HOOKS', 'TASKS'))


def build_in_scope(registry, cfg: dict):
    """Build ``cfg`` with this package's scope as the default one, so that plain names in
    it (and in what it builds) resolve here first, whatever scope the caller runs in."""
    with DefaultScope.overwrite_default_scope(SCOPE):
        return registry.build(cfg)

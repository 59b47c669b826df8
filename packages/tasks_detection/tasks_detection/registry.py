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

from dlm_core.registry import child_registries, task_registry

SCOPE = 'tasks_detection'

#: Where this package's classes are imported from when a config first builds from a
#: registry: the subpackage of the task-package layout that holds them (mmdet's own
#: modules come with the parent registries).
LOCATIONS = dict(
    MODELS=['tasks_detection.models'],
    DATASETS=['tasks_detection.datasets'],
    TRANSFORMS=['tasks_detection.datasets.transforms'],
    METRICS=['tasks_detection.evaluation'],
    HOOKS=['tasks_detection.hooks'],
)

_registries = child_registries(SCOPE, mmdet_registry, LOCATIONS)
MODELS = _registries['MODELS']
DATASETS = _registries['DATASETS']
TRANSFORMS = _registries['TRANSFORMS']
METRICS = _registries['METRICS']
HOOKS = _registries['HOOKS']

#: The plugins this package adds to the core.
TASKS = task_registry(SCOPE, locations=['tasks_detection.plugins'])


def build_in_scope(registry, cfg: dict):
    """Build ``cfg`` with this package's scope as the default one, so that plain names in
    it (and in what it builds) resolve here first, whatever scope the caller runs in."""
    with DefaultScope.overwrite_default_scope(SCOPE):
        return registry.build(cfg)

"""Registries of the ``tasks_segmentation`` scope.

Children of mmdet's registries (so a config with ``default_scope='tasks_segmentation'`` reaches
this package's classes, then mmdet's, then MMEngine's) and of dlm_core's ``TASKS``.
"""

import dlm_core  # noqa: F401  (first: it makes mmaction2 1.2.0's models importable)

# isort: split
from mmdet import registry as mmdet_registry

from dlm_core.registry import child_registries, task_registry

SCOPE = 'tasks_segmentation'

#: Where this package's classes are imported from when a config first builds from a
#: registry: the subpackage of the task-package layout that holds them (mmdet's own
#: modules come with the parent registries).
LOCATIONS = dict(
    MODELS=['tasks_segmentation.models'],
    DATASETS=['tasks_segmentation.datasets'],
    TRANSFORMS=['tasks_segmentation.datasets.transforms'],
    METRICS=['tasks_segmentation.evaluation'],
    HOOKS=['tasks_segmentation.hooks'],
)

_registries = child_registries(SCOPE, mmdet_registry, LOCATIONS)
MODELS = _registries['MODELS']
DATASETS = _registries['DATASETS']
TRANSFORMS = _registries['TRANSFORMS']
METRICS = _registries['METRICS']
HOOKS = _registries['HOOKS']

#: The plugins this package adds to the core.
TASKS = task_registry(SCOPE, locations=['tasks_segmentation.plugins'])

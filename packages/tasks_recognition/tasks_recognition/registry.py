"""Registries of the ``tasks_recognition`` scope.

Children of mmaction's registries (so a config with ``default_scope='tasks_recognition'`` reaches
this package's classes, then mmaction's, then MMEngine's) and of dlm_core's ``TASKS``.
"""

import dlm_core  # noqa: F401  (first: it makes mmaction2 1.2.0's models importable)

# isort: split
from mmaction import registry as mmaction_registry

from dlm_core.registry import child_registries, task_registry

SCOPE = 'tasks_recognition'

#: Where this package's classes are imported from when a config first builds from a
#: registry: the subpackage of the task-package layout that holds them (mmaction2's own
#: modules come with the parent registries).
LOCATIONS = dict(
    MODELS=['tasks_recognition.models'],
    DATASETS=['tasks_recognition.datasets'],
    TRANSFORMS=['tasks_recognition.datasets.transforms'],
    HOOKS=['tasks_recognition.hooks'],
)

_registries = child_registries(SCOPE, mmaction_registry, LOCATIONS)
MODELS = _registries['MODELS']
DATASETS = _registries['DATASETS']
TRANSFORMS = _registries['TRANSFORMS']
METRICS = _registries['METRICS']
HOOKS = _registries['HOOKS']

#: The plugins this package adds to the core.
TASKS = task_registry(SCOPE, locations=['tasks_recognition.plugins'])

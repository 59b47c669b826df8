"""Registries of the ``tasks_recognition`` scope.

Children of mmaction's registries (so a config with ``default_scope='tasks_recognition'`` reaches
this package's classes, then mmaction's, then MMEngine's) and of dlm_core's ``TASKS``.
"""

from mmaction import registry as mmaction_registry

import dlm_core  # noqa: F401  (must come first: it makes mmaction2 1.2.0 importable)
from dlm_core.registry import child_registries, task_registry

SCOPE = 'tasks_recognition'

_registries = child_registries(SCOPE, mmaction_registry)
MODELS = _registries['MODELS']
DATASETS = _registries['DATASETS']
TRANSFORMS = _registries['TRANSFORMS']
METRICS = _registries['METRICS']
HOOKS = _registries['HOOKS']

#: The plugins this package adds to the core.
TASKS = task_registry(SCOPE, locations=[])

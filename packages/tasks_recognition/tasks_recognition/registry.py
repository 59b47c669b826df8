"""Registries of the ``tasks_recognition`` scope.

Children of mmaction's registries (so a config with ``default_scope='tasks_recognition'`` reaches
this package's classes, then mmaction's, then MMEngine's) and of dlm_core's ``TASKS``.
"""

import dlm_core  # noqa: F401  (first: it makes mmaction2 1.2.0's models importable)

# isort: split
from mmaction import registry as mmaction_registry

from dlm_core.registry import task_package_registries

SCOPE = 'tasks_recognition'

#: Children of mmaction's registries that import this package's subpackages
#: (models/, datasets/, datasets/transforms/, evaluation/, hooks/, plugins/) on their first
#: lookup: dlm_core.registry.PACKAGE_LAYOUT.
_registries = task_package_registries(SCOPE, mmaction_registry, without=('evaluation',))
MODELS, DATASETS, TRANSFORMS = (_registries[n] for n in ('MODELS', 'DATASETS', 'TRANSFORMS'))
METRICS, HOOKS, TASKS = (_registries[n] for n in ('METRICS', 'HOOKS', 'TASKS'))

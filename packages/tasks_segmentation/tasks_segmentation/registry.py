"""Registries of the ``tasks_segmentation`` scope.

Children of mmdet's registries (so a config with ``default_scope='tasks_segmentation'`` reaches
this package's classes, then mmdet's, then MMEngine's) and of dlm_core's ``TASKS``.
"""

import dlm_core  # noqa: F401  (first: it makes mmaction2 1.2.0's models importable)

# isort: split
from mmdet import registry as mmdet_registry

from dlm_core.registry import task_package_registries

SCOPE = 'tasks_segmentation'

#: Children of mmdet's registries that import this package's subpackages
#: (models/, datasets/, datasets/transforms/, evaluation/, hooks/, plugins/) on their first
#: lookup: dlm_core.registry.PACKAGE_LAYOUT.
_registries = task_package_registries(SCOPE, mmdet_registry)
MODELS, DATASETS, TRANSFORMS = (_registries[n] for n in ('MODELS', 'DATASETS', 'TRANSFORMS'))
METRICS, HOOKS, TASKS = (_registries[n] for n in ('METRICS', 'HOOKS', 'TASKS'))

"""tasks_detection: spatio-temporal, temporal and video object detection as DLM task plugins.

The registries of the ``tasks_detection`` scope import this package's modules the first time
a name is looked up in them (their ``locations``), so nothing here imports a module only to
register it.
"""

from .registry import DATASETS, HOOKS, METRICS, MODELS, SCOPE, TASKS, TRANSFORMS

__all__ = ['DATASETS', 'HOOKS', 'METRICS', 'MODELS', 'SCOPE', 'TASKS', 'TRANSFORMS']

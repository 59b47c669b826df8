"""tasks_segmentation: action segmentation and video instance segmentation as DLM task plugins.

The registries of the ``tasks_segmentation`` scope import this package's modules the first
time a name is looked up in them (their ``locations``), so nothing here imports a module
only to register it.
"""

# not a registration: patches mmdet's YouTube-VIS evaluator for numpy >= 1.24, which mmdet's
# own YouTubeVISMetric needs as much as this package's metric, so it runs on import
from .compat import ytviseval as _ytviseval  # noqa: F401
from .registry import DATASETS, HOOKS, METRICS, MODELS, SCOPE, TASKS, TRANSFORMS

__all__ = ['DATASETS', 'HOOKS', 'METRICS', 'MODELS', 'SCOPE', 'TASKS', 'TRANSFORMS']

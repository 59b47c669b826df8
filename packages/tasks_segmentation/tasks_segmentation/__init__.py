"""tasks_segmentation: action segmentation and video instance segmentation as DLM task plugins."""

from .registry import DATASETS, METRICS, MODELS, SCOPE, TASKS, TRANSFORMS

__all__ = ['DATASETS', 'METRICS', 'MODELS', 'SCOPE', 'TASKS', 'TRANSFORMS']

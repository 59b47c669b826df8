"""tasks_detection: spatio-temporal, temporal and video object detection as DLM task plugins."""

from .registry import DATASETS, METRICS, MODELS, SCOPE, TASKS, TRANSFORMS

__all__ = ['DATASETS', 'METRICS', 'MODELS', 'SCOPE', 'TASKS', 'TRANSFORMS']

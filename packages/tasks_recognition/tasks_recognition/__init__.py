"""tasks_recognition: action recognition (SSv2, UCF101, HMDB51) as DLM task plugins."""

from .registry import DATASETS, METRICS, MODELS, SCOPE, TASKS, TRANSFORMS

__all__ = ['DATASETS', 'METRICS', 'MODELS', 'SCOPE', 'TASKS', 'TRANSFORMS']

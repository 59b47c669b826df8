"""tasks_recognition: action recognition (SSv2, UCF101, HMDB51) as DLM task plugins.

Importing the package registers ``ActionRecognitionTask`` (``TASKS``) and
``ValidatedVideoDataset`` (``DATASETS``) in the ``tasks_recognition`` scope, whose
registries fall back to mmaction2's (``Recognizer3D``, ``AccMetric``, the transforms).
"""

import dlm_core  # noqa: F401  (first: its compat makes mmaction2 1.2.0 importable)

from .action_recognition_task import ActionRecognitionTask
from .datasets import ValidatedVideoDataset, VideoListError
from .registry import DATASETS, HOOKS, METRICS, MODELS, SCOPE, TASKS, TRANSFORMS

__all__ = [
    'DATASETS',
    'HOOKS',
    'METRICS',
    'MODELS',
    'SCOPE',
    'TASKS',
    'TRANSFORMS',
    'ActionRecognitionTask',
    'ValidatedVideoDataset',
    'VideoListError',
]

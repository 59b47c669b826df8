"""tasks_recognition: action recognition (SSv2, UCF101, HMDB51) as DLM task plugins.

Importing the package registers ``ActionRecognitionTask`` (``TASKS``),
``ValidatedVideoDataset`` (``DATASETS``) and ``FusedAttentionViT`` (``MODELS``: mmaction2's
ViT with fused attention) in the ``tasks_recognition`` scope, whose registries fall back to
mmaction2's (``Recognizer3D``, ``AccMetric``, the transforms).
"""

import dlm_core  # noqa: F401  (first: its compat makes mmaction2 1.2.0 importable)

from .action_recognition_task import ActionRecognitionTask
from .datasets import ValidatedVideoDataset, VideoListError
from .models import FusedAttentionViT
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
    'FusedAttentionViT',
    'ValidatedVideoDataset',
    'VideoListError',
]

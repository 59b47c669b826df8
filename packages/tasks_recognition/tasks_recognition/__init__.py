"""tasks_recognition: action recognition (SSv2, UCF101, HMDB51) as DLM task plugins.

The registries of the ``tasks_recognition`` scope fall back to mmaction2's (``Recognizer3D``,
``AccMetric``, the transforms). Each imports this package's modules the first time a name is
looked up in it (their ``locations``), so ``custom_imports=dict(imports=['tasks_recognition'])``
reaches ``ActionRecognitionTask`` (``plugins``), ``FusedAttentionViT`` (``models``),
``ValidatedVideoDataset`` (``datasets``) and the rest.
"""

from .registry import DATASETS, HOOKS, METRICS, MODELS, SCOPE, TASKS, TRANSFORMS

__all__ = ['DATASETS', 'HOOKS', 'METRICS', 'MODELS', 'SCOPE', 'TASKS', 'TRANSFORMS']

"""The task-plugin interface of the core (the plugins themselves live in task packages)."""

from .base import SAMPLE_KEYS, TaskPlugin
from .builder import build_task, resolve_task_config
from .token_state import TokenState
from .vit_encoder import ViTEncoderTask

__all__ = [
    'build_task',
    'resolve_task_config',
    'SAMPLE_KEYS',
    'TaskPlugin',
    'TokenState',
    'ViTEncoderTask',
]

"""The task-plugin interface of the core (the plugins themselves live in task packages)."""

from .base import SAMPLE_KEYS, TaskPlugin
from .token_state import TokenState

__all__ = ['SAMPLE_KEYS', 'TaskPlugin', 'TokenState']

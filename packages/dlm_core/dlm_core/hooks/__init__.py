"""Hooks of the ``dlm`` scope."""

from .prompt_checkpoint_hook import PromptCheckpointHook

__all__ = ['PromptCheckpointHook']

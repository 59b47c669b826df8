"""Hooks of the ``dlm`` scope."""

from .finite_loss_hook import FiniteLossHook
from .prompt_checkpoint_hook import PromptCheckpointHook

__all__ = ['FiniteLossHook', 'PromptCheckpointHook']

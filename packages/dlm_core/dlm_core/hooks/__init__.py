"""Hooks of the ``dlm`` scope."""

from .finite_loss_hook import FiniteLossHook
from .prompt_checkpoint_hook import PromptCheckpointHook
from .static_calibration_hook import StaticCalibrationHook
from .torch_threads_hook import TorchThreadsHook
from .validation_points_hook import ValidationPointsHook

__all__ = [
    'FiniteLossHook',
    'PromptCheckpointHook',
    'StaticCalibrationHook',
    'TorchThreadsHook',
    'ValidationPointsHook',
]

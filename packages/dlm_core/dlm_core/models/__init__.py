"""Models of the ``dlm`` scope."""

from .freezing import count_parameters, freeze_modules, hold_eval
from .multi_task_prompt_model import MultiTaskPromptModel
from .prompted_task_model import PromptedTaskModel

__all__ = [
    'MultiTaskPromptModel',
    'PromptedTaskModel',
    'count_parameters',
    'freeze_modules',
    'hold_eval',
]

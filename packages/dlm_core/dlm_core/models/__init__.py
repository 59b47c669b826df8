"""Models of the ``dlm`` scope."""

from .freezing import count_parameters, freeze_modules, hold_eval
from .hard_sharing import HardParameterSharingModel
from .multi_task_prompt_model import MultiTaskPromptModel
from .prompt_gate import LayerGate, PromptGate
from .prompted_task_model import PromptedTaskModel
from .task_routing_preprocessor import TaskRoutingPreprocessor

__all__ = [
    'HardParameterSharingModel',
    'TaskRoutingPreprocessor',
    'LayerGate',
    'MultiTaskPromptModel',
    'PromptGate',
    'PromptedTaskModel',
    'count_parameters',
    'freeze_modules',
    'hold_eval',
]

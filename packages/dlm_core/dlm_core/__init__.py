"""dlm_core: the double layer mapper for video multi-task prompt learning.

Depends on torch and mmengine only and names no task: task packages register their
plugins into child registries of :data:`dlm_core.registry.TASKS`.
"""

# compat: the fixes of the dependency stack (docs/method.md §5), applied before any task
# library is imported; atomic_backend, engine and hooks register the 'atomic_local' file
# backend and the loops and hooks of the ``dlm`` scope.
from . import atomic_backend, compat, engine, hooks  # noqa: F401
from .mappers import DoubleLayerMapper, PromptMapper, StaticPrompts, TransferredPrompts
from .models import MultiTaskPromptModel, PromptedTaskModel
from .prompt_io import load_prompt_file, save_prompt_file
from .registry import HOOKS, MODELS, PROMPT_MAPPERS, TASKS, build_from
from .tasks import TaskPlugin, TokenState

__version__ = '0.1.0'

__all__ = [
    'HOOKS',
    'MODELS',
    'PROMPT_MAPPERS',
    'TASKS',
    'DoubleLayerMapper',
    'MultiTaskPromptModel',
    'PromptMapper',
    'PromptedTaskModel',
    'StaticPrompts',
    'TaskPlugin',
    'TokenState',
    'TransferredPrompts',
    'build_from',
    'load_prompt_file',
    'save_prompt_file',
]

"""One data preprocessor per task, chosen by the batch's ``task`` key."""

from __future__ import annotations

from mmengine.model import BaseDataPreprocessor
from torch import nn

from ..registry import MODELS


@MODELS.register_module()
class TaskRoutingPreprocessor(BaseDataPreprocessor):
    """Routes each batch to the preprocessor of the task it comes from.

    Batches of a multi-dataset loop carry ``task=<name>``; batches without it (the
    validation loop's) belong to ``default_task``. The task name is passed on to the
    model's ``forward``. Living in the preprocessor (not in ``train_step``) keeps this
    working under MMEngine's distributed wrapper, which calls the preprocessor itself.
    """

    def __init__(self, preprocessors: dict[str, nn.Module], default_task: str):
        super().__init__()
        if default_task not in preprocessors:
            raise KeyError(f'default_task {default_task!r} is not one of {sorted(preprocessors)}')
        self.preprocessors = nn.ModuleDict(preprocessors)
        self.default_task = default_task

    def forward(self, data: dict, training: bool = False) -> dict:
        data = dict(data)
        task = data.pop('task', self.default_task)
        if isinstance(task, (list, tuple)):  # collated per sample
            task = task[0]
        if task not in self.preprocessors:
            raise KeyError(f'batch of unknown task {task!r}; tasks: {sorted(self.preprocessors)}')
        processed = dict(self.preprocessors[task](data, training))
        processed['task'] = task
        return processed

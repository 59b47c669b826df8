"""The plain primary model with prompts from a prompt file (zero-shot transfer)."""

from __future__ import annotations

import torch
from mmengine.model import BaseModel
from torch import nn

from ..errors import CheckpointError
from ..prompt_io import load_prompt_file
from ..registry import MODELS
from ..tasks import TaskPlugin, build_task
from .accounting import TrainableAccountingMixin
from .freezing import count_parameters, freeze_modules, hold_eval
from .prompt_gate import PromptGate
from .prompting import check_gate_support, check_prompt_width, encode_with_prompts


@MODELS.register_module()
class PromptedTaskModel(TrainableAccountingMixin, BaseModel):
    """A task model, frozen, prompted by fixed prompts read from a prompt file.

    This is how the paper evaluates its prompts on other datasets (Table 2): the
    prompts trained by a DLM run on SSv2 join the UCF101 model at the same layer. No
    mapper and no auxiliary model is involved. Without ``prompt_file`` it is the plain
    task model (the "original" row). A file of an exact-start run carries its trained
    prompt gates, which then gate the prompts here as in the run's static inference.

    Args:
        task: config of the task plugin (``TASKS``), with its own checkpoint.
        prompt_file: a file written by ``tools/export_prompts.py``.
        prompt_layer: overrides the layer stored in the file.
    """

    def __init__(
        self,
        task: dict,
        prompt_file: str | None = None,
        prompt_layer: int | None = None,
        data_preprocessor: dict | nn.Module | None = None,
        init_cfg=None,
    ):
        plugin: TaskPlugin = build_task(task)
        super().__init__(
            data_preprocessor=data_preprocessor or plugin.data_preprocessor, init_cfg=init_cfg
        )
        self.task = plugin
        self.prompt_file = prompt_file
        prompts, layer, payload = None, plugin.prompt_layer, None
        if prompt_file is not None:
            payload = load_prompt_file(prompt_file)
            prompts, layer = payload['prompts'].float(), payload['prompt_layer']
            check_prompt_width(prompts, plugin, f'prompt file {prompt_file}')
        if prompt_layer is not None:
            layer = prompt_layer
        self.prompt_layer = plugin._checked_layer(layer, 'prompt_layer')
        self.register_buffer('prompts', prompts if prompts is not None else torch.zeros(0, 0))
        self.prompt_gate = self._load_gate(payload) if payload is not None else None
        self._frozen = freeze_modules(self.task)
        hold_eval(self._frozen)
        self.task.load_checkpoint()

    def _load_gate(self, payload: dict) -> PromptGate | None:
        """The prompt file's gates (exact start), frozen; ``None`` for an ungated file."""
        spec = payload['meta'].get('prompt_gate')
        if spec is None:
            return None
        where = f'prompt file {self.prompt_file}'
        logits = payload['trained'].get('prompt_gate.logits')
        if not isinstance(spec, dict) or 'groups' not in spec or logits is None:
            raise CheckpointError(
                f'{where}: meta "prompt_gate" needs its groups and the trained tensor '
                '"prompt_gate.logits"'
            )
        check_gate_support(self.task)
        gate = PromptGate(spec['groups'], self.prompt_layer, self.task.num_layers)
        if gate.num_prompts != self.prompts.shape[0] or gate.logits.shape != logits.shape:
            raise CheckpointError(
                f'{where}: its gates {tuple(logits.shape)} for {sum(spec["groups"])} prompts do '
                f'not fit {self.prompts.shape[0]} prompts joining {type(self.task).__name__} '
                f'before layer {self.prompt_layer} of {self.task.num_layers} (gates '
                f'{tuple(gate.logits.shape)}: one row per prompted layer)'
            )
        with torch.no_grad():
            gate.logits.copy_(logits.float())
        gate.logits.requires_grad_(False)
        return gate

    @property
    def backbone_parameters(self) -> int:
        return count_parameters([self.task])

    def init_weights(self) -> None:
        """Nothing to initialise: the task model was loaded from its checkpoint at build."""

    def _make_prompts(self, batch_size: int) -> torch.Tensor | None:
        if self.prompts.numel() == 0:
            return None
        return self.prompts.unsqueeze(0).expand(batch_size, -1, -1)

    def forward(self, inputs, data_samples=None, mode: str = 'predict'):
        state = encode_with_prompts(
            self.task, inputs, self.prompt_layer, self._make_prompts, self.prompt_gate
        )
        if mode == 'predict':
            return self.task.predict(state, data_samples)
        if mode == 'tensor':
            return self.task.tokens(state)
        if mode == 'loss':
            raise ValueError('PromptedTaskModel is for evaluation: it has nothing to train')
        raise ValueError(f'mode must be "predict" or "tensor", got {mode!r}')

"""Learnable prompts that ignore the auxiliary tasks: the VPT baselines."""

from __future__ import annotations

import torch
from torch import nn

from ..registry import PROMPT_MAPPERS
from .base import PromptMapper


@PROMPT_MAPPERS.register_module()
class StaticPrompts(PromptMapper):
    """``num_prompts`` learnable tokens of the primary width (VPT, Jia et al. 2022).

    VPT-shallow and VPT-middle are this mapper with different insertion layers: the
    insertion layer belongs to the model (``prompt_layer``), not to the mapper.
    """

    input_dependent = False

    def __init__(
        self,
        primary_dim: int,
        num_prompts: int = 8,
        aux_dims=(),
        init_std: float = 0.02,
        init_cfg=None,
    ):
        super().__init__(primary_dim=primary_dim, aux_dims=(), init_cfg=init_cfg)
        self.prompts = nn.Parameter(torch.empty(int(num_prompts), self.primary_dim))
        nn.init.trunc_normal_(self.prompts, std=init_std)

    @property
    def num_output_prompts(self) -> int:
        return self.prompts.shape[0]

    def forward(self, taps=(), batch_size: int | None = None) -> torch.Tensor:
        if batch_size is None:
            raise ValueError('StaticPrompts needs the batch size')
        return self.prompts.unsqueeze(0).expand(batch_size, -1, -1)

"""The double layer mapper of DLM-VMTL (docs/method.md §1)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ..registry import PROMPT_MAPPERS
from .base import PromptMapper
from .layers import AlignmentAdapter, DimensionCorrespondingUnit, PromptExtractorLayer


@PROMPT_MAPPERS.register_module()
class DoubleLayerMapper(PromptMapper):
    """Learnable prompts read the auxiliary taps (layer 1), are resized to the primary
    width (dimension corresponding unit) and aligned with the primary (layer 2).

    For every auxiliary task ``i``::

        Q_i = T_i([P_i; E_i])[:N_p]           layer 1, knowledge extractor
        R_i = W2_i(W1_i(Q_i))                 dimension corresponding unit
        A_i = R_i + Up_i(GELU(Down_i(LN(R_i))))   layer 2, alignment adapter
        P   = [A_1; ...; A_K]                 (B, K * N_p, D_p)

    Args:
        aux_dims: token widths ``D_i`` of the auxiliary encoders, in tap order.
        primary_dim: token width ``D_p`` of the primary encoder.
        num_prompts: ``N_p``, prompts per auxiliary task.
        reduction: ``r`` of the dimension corresponding unit (``D_i -> D_i/r -> D_p``).
        adapter_reduction: ``r_a`` of the adapter bottleneck (``D_p -> D_p/r_a``).
        second_layer: ``False`` drops the adapters: the ablation of the paper's Fig. 3.
            Every other parameter keeps its name, so the full variant's weights load.
        num_heads: attention heads of each ``T_i`` (default: 64 channels a head).
        rows_only: compute only the prompt rows of layer 1 (exact; see
            :class:`PromptExtractorLayer`). ``False`` runs the full layer.
    """

    def __init__(
        self,
        aux_dims: Sequence[int],
        primary_dim: int,
        num_prompts: int = 8,
        reduction: int = 16,
        adapter_reduction: int = 16,
        second_layer: bool = True,
        num_heads: int | None = None,
        mlp_ratio: float = 4.0,
        dropout: float = 0.0,
        rows_only: bool = True,
        init_cfg=None,
    ):
        super().__init__(primary_dim=primary_dim, aux_dims=aux_dims, init_cfg=init_cfg)
        if not self.aux_dims:
            raise ValueError('DoubleLayerMapper needs at least one auxiliary task (aux_dims)')
        self.num_prompts = int(num_prompts)
        self.second_layer = second_layer
        self.rows_only = rows_only
        self.prompts = nn.ParameterList(
            nn.Parameter(torch.empty(self.num_prompts, dim)) for dim in self.aux_dims
        )
        for prompt in self.prompts:
            nn.init.trunc_normal_(prompt, std=0.02)
        self.extractors = nn.ModuleList(
            PromptExtractorLayer(dim, num_heads, mlp_ratio, dropout) for dim in self.aux_dims
        )
        self.dim_units = nn.ModuleList(
            DimensionCorrespondingUnit(dim, primary_dim, reduction) for dim in self.aux_dims
        )
        if second_layer:
            self.adapters = nn.ModuleList(
                AlignmentAdapter(primary_dim, adapter_reduction) for _ in self.aux_dims
            )

    @property
    def num_output_prompts(self) -> int:
        return self.num_prompts * len(self.aux_dims)

    @property
    def prompt_groups(self) -> list[int]:
        """``[N_p] * K``: the prompts of each auxiliary task form one group."""
        return [self.num_prompts] * len(self.aux_dims)

    def forward(self, taps: Sequence[torch.Tensor], batch_size: int | None = None) -> torch.Tensor:
        self.check_taps(taps)
        outputs = []
        for i, tap in enumerate(taps):
            prompts = self.prompts[i].unsqueeze(0).expand(tap.shape[0], -1, -1)
            extracted = self.extractors[i](prompts, tap, rows_only=self.rows_only)
            resized = self.dim_units[i](extracted)
            outputs.append(self.adapters[i](resized) if self.second_layer else resized)
        return torch.cat(outputs, dim=1)

    def parameter_saving(self) -> list[float]:
        """Per auxiliary task, the saving of the two-layer unit against one ``D_i x D_p``."""
        return [unit.parameter_saving() for unit in self.dim_units]

"""The interface every prompt mapper implements."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from mmengine.model import BaseModule


class PromptMapper(BaseModule):
    """Turns auxiliary tap tokens into prompts for the primary model.

    ``forward(taps, batch_size)`` takes one ``(B, N_i, D_i)`` tensor per auxiliary task
    (an empty list for mappers that use none) and returns prompts ``(B, M, D_p)``.

    Attributes:
        primary_dim: ``D_p``, the token width of the primary encoder.
        aux_dims: the widths ``D_i`` the mapper was built for, one per auxiliary task.
        num_output_prompts: ``M``, the number of prompt tokens it returns.
        input_dependent: whether the prompts depend on the taps. If not, inference needs
            no auxiliary model and no moving average (VPT, MVLPT).
    """

    input_dependent: bool = True

    def __init__(self, primary_dim: int, aux_dims: Sequence[int] = (), init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.primary_dim = int(primary_dim)
        self.aux_dims = [int(d) for d in aux_dims]

    @property
    def num_output_prompts(self) -> int:
        raise NotImplementedError(f'{type(self).__name__} must define num_output_prompts')

    @property
    def prompt_groups(self) -> list[int]:
        """Output rows per source, in output order (one gate each under exact start):
        one group of all prompts unless a mapper says otherwise."""
        return [self.num_output_prompts]

    def check_taps(self, taps: Sequence[torch.Tensor]) -> None:
        """Fail with the auxiliary index and both widths when a tap does not fit."""
        if len(taps) != len(self.aux_dims):
            raise ValueError(
                f'{type(self).__name__} was built for {len(self.aux_dims)} auxiliary tasks '
                f'(aux_dims={self.aux_dims}) but received {len(taps)} taps'
            )
        for index, (tap, dim) in enumerate(zip(taps, self.aux_dims)):
            if tap.dim() != 3 or tap.shape[-1] != dim:
                raise ValueError(
                    f'auxiliary tap {index} has shape {tuple(tap.shape)}, width '
                    f'{tap.shape[-1] if tap.dim() else None}; {type(self).__name__} expects '
                    f'(B, N, {dim}) (aux_dims[{index}]={dim})'
                )

    def forward(self, taps: Sequence[torch.Tensor], batch_size: int) -> torch.Tensor:
        raise NotImplementedError(f'{type(self).__name__} must implement forward')

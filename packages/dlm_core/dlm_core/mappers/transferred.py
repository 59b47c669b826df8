"""Prompts initialised from another task's prompt file: the MVLPT baseline."""

from __future__ import annotations

import torch

from ..prompt_io import load_prompt_file
from ..registry import PROMPT_MAPPERS
from .static import StaticPrompts


def semi_orthogonal(in_dim: int, out_dim: int, seed: int) -> torch.Tensor:
    """A fixed ``(in_dim, out_dim)`` matrix with orthonormal rows or columns."""
    generator = torch.Generator().manual_seed(seed)
    gaussian = torch.randn(max(in_dim, out_dim), min(in_dim, out_dim), generator=generator)
    q, _ = torch.linalg.qr(gaussian)
    return q if in_dim >= out_dim else q.T


@PROMPT_MAPPERS.register_module()
class TransferredPrompts(StaticPrompts):
    """Learnable prompts initialised from a prompt file trained on a source task
    (MVLPT, Shen et al. 2022).

    When the source width differs from the primary width the source prompts are
    projected by a fixed semi-orthogonal matrix (norms and angles are kept when the
    primary is wider). When the counts differ the source rows are repeated or cut.
    """

    def __init__(
        self,
        primary_dim: int,
        init_file: str,
        num_prompts: int | None = None,
        projection_seed: int = 0,
        aux_dims=(),
        init_cfg=None,
    ):
        source = load_prompt_file(init_file)['prompts'].float()
        count = int(num_prompts or source.shape[0])
        super().__init__(primary_dim=primary_dim, num_prompts=count, init_cfg=init_cfg)
        if source.shape[1] != self.primary_dim:
            source = source @ semi_orthogonal(source.shape[1], self.primary_dim, projection_seed)
        rows = torch.arange(count) % source.shape[0]
        with torch.no_grad():
            self.prompts.copy_(source[rows])
        self.init_file = init_file

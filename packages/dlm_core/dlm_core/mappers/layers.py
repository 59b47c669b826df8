"""The building blocks of the double layer mapper (docs/method.md §1, steps 2-4)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def default_num_heads(dim: int, head_dim: int = 64) -> int:
    """The ViT convention (64 channels a head), falling back to fewer heads that divide."""
    heads = max(1, dim // head_dim)
    while dim % heads:
        heads -= 1
    return heads


class PromptExtractorLayer(nn.Module):
    """Layer 1: one pre-norm transformer layer over ``[P_i; E_i]`` that keeps the prompt rows.

    ``Q_i = T_i([P_i; E_i])[:N_p]``. Layer norm, the FFN and the residuals act on each token
    alone, so the prompt rows of the output depend on the other tokens only through
    attention. ``rows_only=True`` therefore computes attention with the ``N_p`` prompt
    queries over all keys and runs the FFN on those rows: the same ``Q_i`` as the full
    layer (``rows_only=False``, the reference path) at a fraction of the cost.

    In that path the tokens' layer-norm scale and shift are folded into the key/value
    projection (``W (n * g + b) + c = (W g) n + (W b + c)``): the frozen tokens ``E_i`` are
    only normalised, so no gradient is computed for them (about 3 % of a cached DLM step at
    ViT-B size), while ``g``, ``b`` and ``W`` get the same gradients as in the reference.
    """

    def __init__(
        self, dim: int, num_heads: int | None = None, mlp_ratio: float = 4.0, dropout: float = 0.0
    ):
        super().__init__()
        self.dim = dim
        self.num_heads = num_heads or default_num_heads(dim)
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, self.num_heads, dropout=dropout, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        hidden = int(dim * mlp_ratio)
        self.ffn = nn.Sequential(
            nn.Linear(dim, hidden),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, dim),
            nn.Dropout(dropout),
        )

    def forward(
        self, prompts: torch.Tensor, tokens: torch.Tensor, rows_only: bool = True
    ) -> torch.Tensor:
        """``prompts (B, N_p, D)``, ``tokens (B, N, D)`` -> prompt rows ``(B, N_p, D)``."""
        num_prompts = prompts.shape[1]
        if rows_only:
            x = prompts + self._prompt_rows_attention(prompts, tokens)
        else:
            x = torch.cat([prompts, tokens], dim=1)
            normed = self.norm1(x)
            x = x + self.attn(normed, normed, normed, need_weights=False)[0]
        x = x + self.ffn(self.norm2(x))
        return x[:, :num_prompts]

    def _prompt_rows_attention(self, prompts: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """``self.attn`` with the normalised prompts as queries over ``norm1([P; E])``."""
        attn, dim, heads = self.attn, self.dim, self.num_heads
        weight, bias = attn.in_proj_weight, attn.in_proj_bias
        normed_prompts = self.norm1(prompts)
        query = F.linear(normed_prompts, weight[:dim], bias[:dim])
        key_value = F.linear(normed_prompts, weight[dim:], bias[dim:])
        # the tokens' norm without its affine part; the affine part goes into the projection
        plain = F.layer_norm(tokens, (dim,), eps=self.norm1.eps)
        folded_weight = weight[dim:] * self.norm1.weight
        folded_bias = weight[dim:] @ self.norm1.bias + bias[dim:]
        key_value = torch.cat([key_value, F.linear(plain, folded_weight, folded_bias)], dim=1)
        key, value = key_value.chunk(2, dim=-1)

        def split(t: torch.Tensor) -> torch.Tensor:  # (B, N, D) -> (B, heads, N, D / heads)
            return t.unflatten(-1, (heads, dim // heads)).transpose(1, 2)

        dropout = attn.dropout if self.training else 0.0
        out = F.scaled_dot_product_attention(
            split(query), split(key), split(value), dropout_p=dropout
        )
        return attn.out_proj(out.transpose(1, 2).flatten(2))


class DimensionCorrespondingUnit(nn.Module):
    """``R_i = W2(W1(Q_i))``: two linear maps ``D_i -> D_i/r -> D_p``.

    Two thin layers instead of one ``D_i x D_p`` matrix (Houlsby-style bottleneck): see
    :meth:`parameter_saving` for the fraction of parameters it saves.
    """

    def __init__(self, in_dim: int, out_dim: int, reduction: int = 16):
        super().__init__()
        hidden = max(1, in_dim // reduction)
        self.down = nn.Linear(in_dim, hidden)
        self.up = nn.Linear(hidden, out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.up(self.down(x))

    def parameter_saving(self) -> float:
        """1 - own parameters / parameters of one ``D_i x D_p`` linear layer with bias."""
        in_dim, out_dim = self.down.in_features, self.up.out_features
        single = in_dim * out_dim + out_dim
        own = sum(p.numel() for p in self.parameters())
        return 1.0 - own / single


class AlignmentAdapter(nn.Module):
    """Layer 2: a Houlsby adapter, ``A = R + Up(GELU(Down(LN(R))))``.

    ``Up`` starts at zero, so the adapter starts as the identity and training moves it
    away only as far as the primary task's loss asks.
    """

    def __init__(self, dim: int, reduction: int = 16):
        super().__init__()
        hidden = max(1, dim // reduction)
        self.norm = nn.LayerNorm(dim)
        self.down = nn.Linear(dim, hidden)
        self.up = nn.Linear(hidden, dim)
        nn.init.zeros_(self.up.weight)
        nn.init.zeros_(self.up.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.up(F.gelu(self.down(self.norm(x))))

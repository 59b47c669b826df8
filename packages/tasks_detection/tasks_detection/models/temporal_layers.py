"""Building blocks of the ActionFormer-style detector: masked 1-D layers over snippet tokens.

Every layer takes ``(B, N, D)`` tokens and a ``(B, N)`` bool mask (True: a real snippet),
so padded steps never leak into real ones and prompt rows (always valid) can join the
sequence of the encoder at any layer.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def sinusoidal_positions(length: int, dims: int, device=None, dtype=None) -> torch.Tensor:
    """``(length, dims)`` sine/cosine positions (Vaswani et al.), for any length."""
    position = torch.arange(length, device=device, dtype=torch.float32)[:, None]
    freq = torch.exp(
        torch.arange(0, dims, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / dims)
    )
    table = torch.zeros(length, dims, device=device, dtype=torch.float32)
    table[:, 0::2] = torch.sin(position * freq)
    table[:, 1::2] = torch.cos(position * freq[: dims // 2])
    return table.to(dtype or torch.float32)


class MaskedConv1d(nn.Module):
    """A 1-D convolution over ``(B, N, D)`` tokens whose padded outputs are zeroed, so a
    padded step never feeds the next layer (ActionFormer's ``MaskedConv1D``)."""

    def __init__(self, in_dims: int, out_dims: int, kernel_size: int = 3, bias: bool = True):
        super().__init__()
        self.conv = nn.Conv1d(in_dims, out_dims, kernel_size, padding=kernel_size // 2, bias=bias)

    def forward(self, x: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        out = self.conv(x.transpose(1, 2)).transpose(1, 2)
        return out * masks[..., None].to(out.dtype)


class SnippetEmbedding(nn.Module):
    """Projects ``(B, C, T)`` snippet features to ``(B, T, D)`` tokens: masked convs with
    LayerNorm and ReLU (ActionFormer's embedding), then absolute sinusoidal positions,
    which global attention needs to know where a snippet lies."""

    def __init__(self, in_channels: int, embed_dims: int, num_convs: int = 2, kernel_size: int = 3):
        super().__init__()
        self.convs = nn.ModuleList(
            MaskedConv1d(in_channels if i == 0 else embed_dims, embed_dims, kernel_size)
            for i in range(num_convs)
        )
        self.norms = nn.ModuleList(nn.LayerNorm(embed_dims) for _ in range(num_convs))

    def forward(self, features: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        x = features.transpose(1, 2)
        for conv, norm in zip(self.convs, self.norms):
            x = F.relu(norm(conv(x, masks)))
        positions = sinusoidal_positions(x.shape[1], x.shape[2], x.device, x.dtype)
        return (x + positions[None]) * masks[..., None].to(x.dtype)


class MaskedTransformerLayer(nn.Module):
    """A pre-norm transformer layer (self-attention + FFN, residuals) with a key mask."""

    def __init__(
        self,
        embed_dims: int,
        num_heads: int,
        mlp_ratio: float = 4.0,
        dropout: float = 0.0,
        attn_dropout: float = 0.0,
    ):
        super().__init__()
        if embed_dims % num_heads:
            raise ValueError(f'embed_dims={embed_dims} is not divisible by num_heads={num_heads}')
        self.num_heads = num_heads
        self.norm1 = nn.LayerNorm(embed_dims)
        self.qkv = nn.Linear(embed_dims, 3 * embed_dims)
        self.proj = nn.Linear(embed_dims, embed_dims)
        self.attn_dropout = attn_dropout
        self.norm2 = nn.LayerNorm(embed_dims)
        hidden = int(embed_dims * mlp_ratio)
        self.mlp = nn.Sequential(
            nn.Linear(embed_dims, hidden),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, embed_dims),
        )
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, masks, num_prompts: int = 0, gate=None) -> torch.Tensor:
        """``x (B, N, D)``, ``masks (B, N)``; with ``gate`` (a ``LayerGate`` of the DLM core)
        the first ``num_prompts`` rows are prompts whose attention share it gates."""
        batch, length, dims = x.shape
        q, k, v = (
            self.qkv(self.norm1(x))
            .reshape(batch, length, 3, self.num_heads, dims // self.num_heads)
            .permute(2, 0, 3, 1, 4)
        )
        dropout = self.attn_dropout if self.training else 0.0
        if gate is not None:
            task_masks = masks[:, num_prompts:]
            out = gate.self_attention(q, k, v, num_prompts, key_mask=task_masks, dropout_p=dropout)
        else:
            attn_mask = masks[:, None, None, :]  # padded keys are never attended to
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, dropout_p=dropout)
        x = x + self.dropout(self.proj(out.transpose(1, 2).reshape(batch, length, dims)))
        x = x + self.dropout(self.mlp(self.norm2(x)))
        return x * masks[..., None].to(x.dtype)

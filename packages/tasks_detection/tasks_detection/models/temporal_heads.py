"""The head of the ActionFormer-style detector: a feature pyramid, then shared
classification and boundary-regression branches applied at every level.

The pyramid sits after the encoder (not inside it, as in ActionFormer) so that the
encoder is a plain stack of full-resolution transformer layers that prompts can join;
each coarser level is a strided max-pool of the finer one followed by a transformer
layer, which is what ActionFormer's downsampling branch computes.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .temporal_layers import MaskedConv1d, MaskedTransformerLayer


def downsample_masks(masks: torch.Tensor, length: int) -> torch.Tensor:
    """Nearest-neighbour resampling of ``(B, N)`` masks to ``length`` steps."""
    return F.interpolate(masks[:, None].float(), size=length, mode='nearest')[:, 0].bool()


class TemporalPyramid(nn.Module):
    """``num_levels`` levels of strides ``1, 2, 4, ...``, each LayerNorm-ed."""

    def __init__(self, embed_dims: int, num_levels: int, num_heads: int, mlp_ratio: float = 4.0):
        super().__init__()
        self.num_levels = num_levels
        self.layers = nn.ModuleList(
            MaskedTransformerLayer(embed_dims, num_heads, mlp_ratio) for _ in range(num_levels - 1)
        )
        self.norms = nn.ModuleList(nn.LayerNorm(embed_dims) for _ in range(num_levels))

    def forward(self, x: torch.Tensor, masks: torch.Tensor):
        levels, level_masks = [], []
        for index in range(self.num_levels):
            if index > 0:
                x = F.max_pool1d(x.transpose(1, 2), 3, stride=2, padding=1).transpose(1, 2)
                masks = downsample_masks(masks, x.shape[1])
                x = self.layers[index - 1](x * masks[..., None].to(x.dtype), masks)
            levels.append(self.norms[index](x) * masks[..., None].to(x.dtype))
            level_masks.append(masks)
        return levels, level_masks


class _ConvTower(nn.Module):
    """Masked convs with LayerNorm and ReLU, shared across pyramid levels."""

    def __init__(self, embed_dims: int, num_convs: int, kernel_size: int):
        super().__init__()
        self.convs = nn.ModuleList(
            MaskedConv1d(embed_dims, embed_dims, kernel_size, bias=False) for _ in range(num_convs)
        )
        self.norms = nn.ModuleList(nn.LayerNorm(embed_dims) for _ in range(num_convs))

    def forward(self, x: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        for conv, norm in zip(self.convs, self.norms):
            x = F.relu(norm(conv(x, masks)))
        return x


class TemporalClsHead(nn.Module):
    """Per-step class logits ``(B, N_l, C)`` at each level; the bias starts at the prior
    probability ``prior_prob`` so the focal loss is not swamped by background early on."""

    def __init__(
        self,
        embed_dims: int,
        num_classes: int,
        num_convs: int = 2,
        kernel_size: int = 3,
        prior_prob: float = 0.01,
    ):
        super().__init__()
        self.tower = _ConvTower(embed_dims, num_convs, kernel_size)
        self.cls = MaskedConv1d(embed_dims, num_classes, kernel_size)
        nn.init.constant_(self.cls.conv.bias, -math.log((1 - prior_prob) / prior_prob))

    def forward(self, levels, level_masks):
        return [self.cls(self.tower(x, m), m) for x, m in zip(levels, level_masks)]


class TemporalRegHead(nn.Module):
    """Per-step distances ``(B, N_l, 2)`` to the start and end, in units of the level's
    stride; a learnable scale per level, ReLU so the distances are never negative."""

    def __init__(self, embed_dims: int, num_levels: int, num_convs: int = 2, kernel_size: int = 3):
        super().__init__()
        self.tower = _ConvTower(embed_dims, num_convs, kernel_size)
        self.reg = MaskedConv1d(embed_dims, 2, kernel_size)
        self.scales = nn.Parameter(torch.ones(num_levels))

    def forward(self, levels, level_masks):
        return [
            F.relu(self.scales[i] * self.reg(self.tower(x, m), m))
            for i, (x, m) in enumerate(zip(levels, level_masks))
        ]

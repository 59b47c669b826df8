"""mmaction2's ``VisionTransformer`` with attention through ``scaled_dot_product_attention``.

mmaction2's ``Attention`` forms the ``heads x N x N`` score matrix, its softmax and the
product with the values as separate operators, and autograd keeps the softmax for the
backward pass: at 1568 tokens and 12 heads that is about 120 MB a block and close to half
of its time, even in a frozen block that only passes gradients through. PyTorch's fused
kernel (flash attention on CPU and CUDA, memory-efficient attention on CUDA) never stores
the matrix and keeps one log-sum-exp per row instead. (With attention dropout on CPU, PyTorch
falls back to its unfused kernel: the same function, without the saving.)

:class:`FusedAttentionViT` is the same backbone: it builds mmaction2's model and then hands
each block's attention parameters to :class:`FusedAttention`, which computes the same
function. Parameter names, shapes, order and their random initialisation are unchanged, so
checkpoints load strictly in either direction and a seed gives the same weights.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from mmaction.models import VisionTransformer
from torch import nn

from ..registry import MODELS


class FusedAttention(nn.Module):
    """Multi-head self-attention over the parameters of an mmaction2 ``Attention``.

    Takes the module's ``qkv`` (no bias of its own), its optional ``q_bias``/``v_bias`` (the
    keys get none, as in VideoMAE), ``proj``, both dropouts and the score ``scale``; the
    attention dropout becomes the kernel's ``dropout_p`` while training.
    """

    def __init__(self, attention: nn.Module):
        super().__init__()
        self.embed_dims = attention.embed_dims
        self.num_heads = attention.num_heads
        self.scale = attention.scale
        # parameters first, then the submodules in mmaction2's order: the state dict lists
        # them the same way
        self.q_bias = getattr(attention, 'q_bias', None)
        self.v_bias = getattr(attention, 'v_bias', None)
        self.qkv = attention.qkv
        self.attn_drop = attention.attn_drop
        self.proj = attention.proj
        self.proj_drop = attention.proj_drop

    def _qkv_bias(self) -> torch.Tensor | None:
        if self.q_bias is None:
            return self.qkv.bias
        return torch.cat((self.q_bias, torch.zeros_like(self.v_bias), self.v_bias))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, tokens, _ = x.shape
        qkv = F.linear(x, self.qkv.weight, self._qkv_bias())
        # (B, N, 3 * D) -> three (B, heads, N, D / heads)
        q, k, v = qkv.view(batch, tokens, 3, self.num_heads, -1).permute(2, 0, 3, 1, 4)
        dropout = self.attn_drop.p if self.training else 0.0
        out = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout, scale=self.scale)
        out = out.transpose(1, 2).reshape(batch, tokens, -1)
        return self.proj_drop(self.proj(out))


@MODELS.register_module()
class FusedAttentionViT(VisionTransformer):
    """``VisionTransformer`` (same arguments, same state dict) whose blocks attend with
    :class:`FusedAttention`: less memory and time per block, mostly in training."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for block in self.blocks:
            block.attn = FusedAttention(block.attn)

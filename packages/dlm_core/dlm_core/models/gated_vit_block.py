"""A pre-norm ViT block (VideoMAE / BEiT layout) run with gated prompts (exact start).

The layout: ``x + drop_path(gamma_1 * attn(norm1(x)))`` then ``x + drop_path(gamma_2 *
mlp(norm2(x)))`` (``gamma`` optional, layer scale), the attention a fused ``qkv`` linear
(with its own bias, or separate ``q_bias``/``v_bias`` and no key bias as in VideoMAE),
``num_heads``, ``scale``, ``attn_drop``, ``proj`` and ``proj_drop``. mmaction2's
``VisionTransformer`` blocks and the fused-attention variant of the recognition package
have it, so both ViT plugins (recognition and spatio-temporal detection) share this
function. Layer norms, the MLP and the residuals act on each token alone, so only the
attention needs the gate (:meth:`LayerGate.self_attention`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .prompt_gate import LayerGate


def _qkv_bias(attn: nn.Module) -> torch.Tensor | None:
    q_bias = getattr(attn, 'q_bias', None)
    if q_bias is None:
        return attn.qkv.bias
    return torch.cat((q_bias, torch.zeros_like(attn.v_bias), attn.v_bias))


def gated_vit_attention(attn: nn.Module, x: torch.Tensor, num_prompts: int, gate: LayerGate):
    """The block's attention on ``(B, M + N, D)`` with its ``M`` prompt rows gated."""
    batch, length, _ = x.shape
    qkv = F.linear(x, attn.qkv.weight, _qkv_bias(attn))
    q, k, v = qkv.view(batch, length, 3, attn.num_heads, -1).permute(2, 0, 3, 1, 4)
    dropout = attn.attn_drop.p if attn.training else 0.0
    out = gate.self_attention(q, k, v, num_prompts, scale=attn.scale, dropout_p=dropout)
    return attn.proj_drop(attn.proj(out.transpose(1, 2).reshape(batch, length, -1)))


def gated_vit_block(block: nn.Module, x: torch.Tensor, num_prompts: int, gate: LayerGate):
    """``block(x)`` with the prompt rows' attention share gated (see the module doc)."""
    gamma_1 = getattr(block, 'gamma_1', None)
    gamma_2 = getattr(block, 'gamma_2', None)
    attended = gated_vit_attention(block.attn, block.norm1(x), num_prompts, gate)
    x = x + block.drop_path(attended if gamma_1 is None else gamma_1 * attended)
    mixed = block.mlp(block.norm2(x))
    return x + block.drop_path(mixed if gamma_2 is None else gamma_2 * mixed)

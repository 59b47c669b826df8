"""Exact start: zero-initialised gates on the prompts' share of the primary's attention.

Joined naively, prompt tokens change every attention of the layers they reach from the
first step: the softmax over ``[prompt keys; task keys]`` renormalises, so the prompted
model starts somewhere else than the frozen model it was given. With a gate (the
zero-init attention of LLaMA-Adapter, Zhang et al. 2023) a task token's attention in every
prompted layer ``l`` is instead::

    out = softmax(q K_task^T) V_task  +  sum_i tanh(g_{l,i}) softmax(q K_i^T) V_i

the first term being exactly the frozen attention and ``K_i, V_i`` the keys and values of
the prompts of group ``i`` (the prompts of auxiliary task ``i``), each group with its own
softmax. All gates start at 0, so at initialisation the prompted primary computes the
frozen primary's outputs exactly, in prepend and in prefix mode. The gate is trained: its
gradient at step 0 is ``<dL/d out, softmax(q K_i^T) V_i>`` (non-zero), while the prompts,
multiplied by ``tanh(0) = 0``, get their first gradient once the first step has opened
the gates.

One gate per (prompted layer, group): layers differ in how much outside knowledge they can
use (LLaMA-Adapter gates per layer too), and a group per auxiliary lets training open the
auxiliaries that help and keep the others shut; the cost is ``(L - m) * K`` scalars.

The core owns the gates (:class:`PromptGate`, a trained module of the prompted model) and
the attention arithmetic (:class:`LayerGate`); a task plugin only routes its attention
through ``gate.layer(index)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ConfigError


class PromptGate(nn.Module):
    """The gate logits ``g`` ``(num_layers - first_layer, len(groups))``, all zero at init.

    Args:
        groups: prompt rows per group, in prompt order (a mapper's ``prompt_groups``).
        first_layer: the layer the prompts join before (the prompt layer).
        num_layers: layers of the primary encoder.
    """

    def __init__(self, groups: Sequence[int], first_layer: int, num_layers: int):
        super().__init__()
        self.groups = [int(size) for size in groups]
        if not self.groups or min(self.groups) < 1:
            raise ConfigError(f'prompt gate groups must be positive sizes, got {list(groups)}')
        if not 0 <= first_layer <= num_layers:
            raise ConfigError(f'prompt gate first_layer={first_layer} is outside [0, {num_layers}]')
        self.first_layer = int(first_layer)
        self.num_layers = int(num_layers)
        self.logits = nn.Parameter(torch.zeros(num_layers - first_layer, len(self.groups)))

    @property
    def num_prompts(self) -> int:
        return sum(self.groups)

    def layer(self, index: int) -> LayerGate:
        """The gates of encoder layer ``index`` (0-based, ``>= first_layer``)."""
        row = index - self.first_layer
        if not 0 <= row < self.logits.shape[0]:
            raise ValueError(
                f'layer {index} has no prompt gate: gates cover layers [{self.first_layer}, '
                f'{self.num_layers})'
            )
        return LayerGate(torch.tanh(self.logits[row]), self.groups)

    def describe(self) -> dict:
        """Plain numbers that rebuild this gate (stored in prompt files)."""
        return dict(groups=list(self.groups), first_layer=self.first_layer)

    def extra_repr(self) -> str:
        return f'groups={self.groups}, layers=[{self.first_layer}, {self.num_layers})'


@dataclass
class LayerGate:
    """``tanh(g_l)`` of one layer, one value per prompt group; the gated attentions."""

    values: torch.Tensor
    groups: list[int]

    def _check(self, num_prompts: int) -> None:
        if num_prompts != sum(self.groups):
            raise ValueError(
                f'the prompt gate was built for {sum(self.groups)} prompts in groups '
                f'{self.groups}, the attention has {num_prompts} prompt keys'
            )

    def prompt_term(
        self,
        query: torch.Tensor,
        prompt_key: torch.Tensor,
        prompt_value: torch.Tensor,
        scale: float | None = None,
    ) -> torch.Tensor:
        """``sum_i tanh(g_i) softmax(q K_i^T * scale) V_i``: what the prompts add.

        ``query (..., N, d)``, ``prompt_key (..., M, d)``, ``prompt_value (..., M, e)`` (any
        leading dims, e.g. batch and heads) -> ``(..., N, e)``. ``scale`` defaults to
        ``d ** -0.5``.
        """
        self._check(prompt_key.shape[-2])
        scale = query.shape[-1] ** -0.5 if scale is None else scale
        scores = (query @ prompt_key.transpose(-2, -1).to(query.dtype)) * scale
        values = self.values.to(scores.dtype)
        weights, start = [], 0
        for index, size in enumerate(self.groups):
            group = scores[..., start : start + size]
            weights.append(torch.softmax(group, dim=-1) * values[index])
            start += size
        return torch.cat(weights, dim=-1) @ prompt_value.to(query.dtype)

    def self_attention(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        num_prompts: int,
        key_mask: torch.Tensor | None = None,
        scale: float | None = None,
        dropout_p: float = 0.0,
    ) -> torch.Tensor:
        """Self-attention over ``[prompts; task]`` rows ``(B, H, M + N, d)`` (prepend mode).

        Task rows: the frozen attention over the task keys (masked by ``key_mask (B, N)``,
        True = a real key) plus :meth:`prompt_term`. Prompt rows attend over all keys as
        in a plain prompted layer (they reach the task only through the gated term).
        """
        self._check(num_prompts)
        split = num_prompts
        task_mask = prompt_mask = None
        if key_mask is not None:
            task_mask = key_mask[:, None, None, :]
            prompt_mask = torch.cat([key_mask.new_ones(key_mask.shape[0], split), key_mask], 1)
            prompt_mask = prompt_mask[:, None, None, :]
        task = F.scaled_dot_product_attention(
            query[..., split:, :],
            key[..., split:, :],
            value[..., split:, :],
            attn_mask=task_mask,
            dropout_p=dropout_p,
            scale=scale,
        )
        task = task + self.prompt_term(
            query[..., split:, :], key[..., :split, :], value[..., :split, :], scale
        )
        prompts = F.scaled_dot_product_attention(
            query[..., :split, :],
            key,
            value,
            attn_mask=prompt_mask,
            dropout_p=dropout_p,
            scale=scale,
        )
        return torch.cat([prompts, task], dim=-2)

    def mha_prompt_term(
        self,
        attn: nn.MultiheadAttention,
        query: torch.Tensor,
        prompt_key: torch.Tensor,
        prompt_value: torch.Tensor,
    ) -> torch.Tensor:
        """:meth:`prompt_term` through a torch ``nn.MultiheadAttention``'s projections.

        Batch-first ``query (B, N, D)`` (position already added), ``prompt_key`` and
        ``prompt_value`` ``(B, M, D)`` -> ``(B, N, D)``: the heads' gated prompt terms
        through ``out_proj`` without its bias (the frozen attention adds the bias once).
        Add it to that attention's output for the same queries.
        """
        if not attn._qkv_same_embed_dim:
            raise TypeError('mha_prompt_term needs an nn.MultiheadAttention with one in_proj')
        dims, heads = attn.embed_dim, attn.num_heads
        weight, bias = attn.in_proj_weight, attn.in_proj_bias
        bias_q, bias_k, bias_v = (None, None, None) if bias is None else bias.chunk(3)
        q = F.linear(query, weight[:dims], bias_q)
        k = F.linear(prompt_key.to(query.dtype), weight[dims : 2 * dims], bias_k)
        v = F.linear(prompt_value.to(query.dtype), weight[2 * dims :], bias_v)

        def split(t: torch.Tensor) -> torch.Tensor:  # (B, N, D) -> (B, heads, N, D / heads)
            return t.unflatten(-1, (heads, dims // heads)).transpose(1, 2)

        term = self.prompt_term(split(q), split(k), split(v))
        return F.linear(term.transpose(1, 2).flatten(2), attn.out_proj.weight)


def gate_for(gate: PromptGate | None, index: int) -> LayerGate | None:
    """``gate.layer(index)``, or ``None`` without a gate (a plugin's one-liner)."""
    return None if gate is None else gate.layer(index)

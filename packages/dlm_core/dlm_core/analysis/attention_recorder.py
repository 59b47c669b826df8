"""How much attention a prompted primary's task tokens pay to each prompt group.

A task plugin that takes ``gate=`` (``supports_prompt_gate``) sends every attention of its
prompted layers through ``gate.layer(i)``. :class:`PromptAttentionRecorder` has that
interface and computes what the model computes, while adding up, per layer and per prompt
group (one group per auxiliary task), the attention share that the task tokens' queries
give the group:

* **Ungated model** (no exact start): the recorder computes the plain joint softmax over
  ``[prompt keys; task keys]`` (what the plugin's own prompted path computes). The share
  of group ``i`` for one query and head is the softmax mass on its keys,
  ``sum_{k in group i} a_k`` (the shares of all groups and the task keys add up to 1).
  This needs all keys in one call, which prepend-mode plugins give
  (:meth:`LayerGate.self_attention`); plugins that compute the task keys' attention
  themselves and hand only the prompt keys to the gate (``prompt_term``,
  ``mha_prompt_term``) cannot be measured ungated: :class:`AttentionNotObservable`.
* **Gated model** (exact start, a trained :class:`~dlm_core.models.PromptGate`): the
  recorder runs the trained gate unchanged. A task token's output is
  ``softmax(q K_task) V_task + sum_i tanh(g_i) softmax(q K_i) V_i``: each softmax sums to
  one, so the *gated share* of group ``i`` is ``|tanh g_i| / (1 + sum_j |tanh g_j|)``,
  the weight of its term among all terms (1 for the task keys' own attention). It does
  not depend on the input: averaging over a split changes nothing, and the signed gates
  are reported too (a negative gate subtracts its group's values).

Shares are averaged over task queries (valid ones, where a key mask says which), heads,
batches and calls of the same layer.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..models.prompt_gate import LayerGate, PromptGate

GATED_SHARE = 'gated share |tanh g_i| / (1 + sum_j |tanh g_j|) (exact-start model)'
JOINT_SHARE = 'softmax mass of the task queries on the group keys (joint softmax)'


class AttentionNotObservable(RuntimeError):
    """The plugin's prompted attention cannot be recorded through the gate interface."""


class PromptAttentionRecorder:
    """A stand-in for a :class:`PromptGate` that records each group's attention share.

    Args:
        groups: prompt rows per group (a mapper's ``prompt_groups``).
        first_layer: the prompt layer; shares are kept for layers
            ``[first_layer, num_layers)``.
        num_layers: layers of the primary encoder.
        gate: the model's trained gate (exact start), run unchanged; ``None``: the plain
            joint attention of an ungated model.
    """

    def __init__(
        self,
        groups: Sequence[int],
        first_layer: int,
        num_layers: int,
        gate: PromptGate | None = None,
    ):
        self.groups = [int(size) for size in groups]
        self.first_layer = int(first_layer)
        self.num_layers = int(num_layers)
        self.gate = gate
        if gate is not None and (gate.groups != self.groups or gate.first_layer != first_layer):
            raise ValueError(
                f'the recorder is built for groups {self.groups} from layer {first_layer}, '
                f'the gate has groups {gate.groups} from layer {gate.first_layer}'
            )
        rows = self.num_layers - self.first_layer
        self.share_sums = torch.zeros(rows, len(self.groups), dtype=torch.float64)
        self.query_counts = torch.zeros(rows, dtype=torch.float64)

    @property
    def definition(self) -> str:
        return JOINT_SHARE if self.gate is None else GATED_SHARE

    def layer(self, index: int) -> RecordingLayerGate:
        row = index - self.first_layer
        if not 0 <= row < self.share_sums.shape[0]:
            raise ValueError(
                f'layer {index} is not prompted: prompts join layers [{self.first_layer}, '
                f'{self.num_layers})'
            )
        inner = None if self.gate is None else self.gate.layer(index)
        return RecordingLayerGate(self, row, inner)

    def add(self, row: int, shares: torch.Tensor, queries: float) -> None:
        """Add ``shares`` ``(groups,)`` summed over ``queries`` query-head pairs."""
        self.share_sums[row] += shares.detach().to('cpu', torch.float64)
        self.query_counts[row] += float(queries)

    def per_layer(self) -> dict[int, list[float]]:
        """``{layer: [mean share of each group]}`` for the layers that were recorded."""
        return {
            self.first_layer + row: (self.share_sums[row] / count).tolist()
            for row, count in enumerate(self.query_counts.tolist())
            if count > 0
        }

    def mean_shares(self) -> list[float]:
        """Each group's share averaged over the recorded layers (from the prompt layer on)."""
        layers = self.per_layer()
        if not layers:
            raise RuntimeError('no prompted attention was recorded')
        table = torch.tensor(list(layers.values()), dtype=torch.float64)
        return table.mean(dim=0).tolist()


class RecordingLayerGate:
    """The :class:`LayerGate` interface of one layer, recording into its recorder."""

    def __init__(self, recorder: PromptAttentionRecorder, row: int, inner: LayerGate | None):
        self.recorder = recorder
        self.row = row
        self.inner = inner
        self.groups = recorder.groups

    def _check(self, num_prompts: int) -> None:
        if num_prompts != sum(self.groups):
            raise ValueError(
                f'the recorder was built for {sum(self.groups)} prompts in groups '
                f'{self.groups}, the attention has {num_prompts} prompt keys'
            )

    def _add_gated(self, queries: float) -> None:
        weights = self.inner.values.detach().abs().to(torch.float64)
        self.recorder.add(self.row, weights / (1 + weights.sum()) * queries, queries)

    def _not_observable(self, method: str):
        return AttentionNotObservable(
            f"the plugin computes its task keys' attention itself and gives the gate only "
            f'the prompt keys ({method}), so the joint softmax of an ungated model cannot be '
            'recorded from it; an exact-start (gated) model can be'
        )

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
        """:meth:`LayerGate.self_attention` (gated), or the joint softmax over all keys."""
        self._check(num_prompts)
        split = num_prompts
        heads, task_rows = query.shape[1], query.shape[-2] - split
        valid = None if key_mask is None else key_mask.to(torch.bool)
        queries = heads * (valid.sum().item() if valid is not None else query.shape[0] * task_rows)
        if self.inner is not None:
            self._add_gated(queries)
            return self.inner.self_attention(
                query, key, value, num_prompts, key_mask, scale, dropout_p
            )
        scale = query.shape[-1] ** -0.5 if scale is None else scale
        scores = (query @ key.transpose(-2, -1)) * scale
        if valid is not None:
            keys = torch.cat([valid.new_ones(valid.shape[0], split), valid], dim=1)
            scores = scores.masked_fill(~keys[:, None, None, :], float('-inf'))
        weights = torch.softmax(scores, dim=-1)
        task = weights[..., split:, :split]  # (B, H, N, M): task queries on prompt keys
        sums = torch.stack(
            [group.sum(-1) for group in task.split(self.groups, dim=-1)], dim=-1
        )  # (B, H, N, groups)
        if valid is not None:
            sums = sums * valid[:, None, :, None].to(sums.dtype)
        self.recorder.add(self.row, sums.sum(dim=(0, 1, 2)), queries)
        return F.dropout(weights, dropout_p) @ value

    def prompt_term(self, query, prompt_key, prompt_value, scale=None) -> torch.Tensor:
        """:meth:`LayerGate.prompt_term` of the trained gate (gated models only)."""
        if self.inner is None:
            raise self._not_observable('prompt_term')
        self._check(prompt_key.shape[-2])
        self._add_gated(query.shape[:-1].numel())
        return self.inner.prompt_term(query, prompt_key, prompt_value, scale)

    def mha_prompt_term(
        self, attn: nn.MultiheadAttention, query, prompt_key, prompt_value
    ) -> torch.Tensor:
        """:meth:`LayerGate.mha_prompt_term` of the trained gate (gated models only)."""
        if self.inner is None:
            raise self._not_observable('mha_prompt_term')
        self._check(prompt_key.shape[-2])
        self._add_gated(query.shape[:-1].numel() * attn.num_heads)
        return self.inner.mha_prompt_term(attn, query, prompt_key, prompt_value)

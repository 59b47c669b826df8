"""Toys for the attribution tests: a gated toy primary that cannot see the label itself,
an auxiliary that can, and an auxiliary whose tap is constant.

The data are random tokens with the class written into the last ``hidden`` channels only;
the primary reads the first channels, so it knows the class only through prompts from an
auxiliary that reads all channels.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from mmengine.dataset import BaseDataset
from torch import nn

from dlm_core.registry import DATASETS
from dlm_core.tasks import TokenState
from tests.helpers.toy_task import TOY_TASKS, ToyTask


class ToyAttentionLayer(nn.Module):
    """A pre-norm transformer layer with its attention written out (q, k, v heads)."""

    def __init__(self, dim: int, heads: int = 4):
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(self, x, num_prompts: int = 0, gate=None):
        batch, length, dim = x.shape
        q, k, v = (
            self.qkv(self.norm1(x)).view(batch, length, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        )
        if gate is None:  # the plain (ungated) layer: one softmax over all tokens
            out = F.scaled_dot_product_attention(q, k, v)
        else:
            out = gate.self_attention(q, k, v, num_prompts)
        x = x + self.proj(out.transpose(1, 2).reshape(batch, length, dim))
        return x + self.mlp(self.norm2(x))


@TOY_TASKS.register_module()
class ToyGatedTask(ToyTask):
    """A toy primary whose layers take a prompt gate, reading the first ``seen`` channels."""

    supports_prompt_gate = True

    def __init__(self, in_dim: int = 16, dim: int = 32, depth: int = 4, seen: int = 8, **kw):
        super().__init__(in_dim=seen, dim=dim, depth=depth, **kw)
        self.model.layers = nn.ModuleList(ToyAttentionLayer(dim) for _ in range(depth))
        self.seen = seen

    def embed(self, inputs):
        return super().embed(inputs[..., : self.seen])

    def run_layers(self, state, start, stop, prompts=None, gate=None):
        if prompts is not None:
            state = state.prepend(prompts, gate)
        tokens, gate = state.tokens, state.gate
        for index in range(start, stop):
            layer_gate = gate.layer(index) if gate is not None and state.num_prompts else None
            tokens = self.model.layers[index](tokens, state.num_prompts, layer_gate)
        return TokenState(tokens, state.num_prompts, state.extras)

    def shared_sample(self, inputs, data_samples):
        return dict(features=inputs.transpose(1, 2))


@TOY_TASKS.register_module()
class ConstantViewTask(ToyTask):
    """An auxiliary whose view of any sample is the same zero tokens: a constant tap."""

    def view(self, sample):
        features = self.require(sample, 'features')
        return features.new_zeros(features.shape[0], features.shape[2], self.in_dim)


@DATASETS.register_module()
class HiddenLabelTokens(BaseDataset):
    """Noise tokens ``(N, in_dim)``; the class shifts only the last ``hidden`` channels."""

    def __init__(self, num_samples=96, num_tokens=6, in_dim=16, hidden=8, num_classes=3,
                 seed=0, **kwargs):  # fmt: skip
        self.spec = (num_samples, num_tokens, in_dim, hidden, num_classes, seed)
        super().__init__(serialize_data=False, **kwargs)

    def load_data_list(self):
        num_samples, num_tokens, in_dim, hidden, num_classes, seed = self.spec
        generator = torch.Generator().manual_seed(seed)
        directions = 2 * torch.randn(
            num_classes, hidden, generator=torch.Generator().manual_seed(7)
        )
        data = []
        for _ in range(num_samples):
            label = int(torch.randint(num_classes, (1,), generator=generator))
            tokens = torch.randn(num_tokens, in_dim, generator=generator)
            tokens[:, in_dim - hidden :] += directions[label]
            data.append(dict(inputs=tokens, data_samples=torch.tensor(label)))
        return data

    def prepare_data(self, idx):
        info = self.get_data_info(idx)
        return dict(inputs=info['inputs'], data_samples=info['data_samples'])


@TOY_TASKS.register_module()
class ToyPrefixTask(ToyGatedTask):
    """The toy primary in prefix mode: prompts are extra keys/values, never queries; with a
    gate the task keys' attention is computed here and the gate adds the prompts' term."""

    injection = 'prefix'

    def run_layers(self, state, start, stop, prompts=None, gate=None):
        gate = gate if gate is not None else state.extras.get('prompt_gate')
        prefix = prompts if prompts is not None else state.extras.get('prefix')
        tokens = state.tokens
        for index in range(start, stop):
            layer = self.model.layers[index]
            layer_gate = gate.layer(index) if gate is not None and prefix is not None else None
            tokens = _prefix_layer(layer, tokens, prefix, layer_gate)
        extras = dict(state.extras, prefix=prefix, prompt_gate=gate)
        return TokenState(tokens, 0, extras)


def _prefix_layer(layer: ToyAttentionLayer, x, prefix, gate):
    batch, length, dim = x.shape

    def heads(t):
        return t.view(t.shape[0], t.shape[1], layer.heads, -1).transpose(1, 2)

    q, k, v = (heads(t) for t in layer.qkv(layer.norm1(x)).chunk(3, dim=-1))
    if prefix is not None:
        _, pk, pv = (heads(t) for t in layer.qkv(layer.norm1(prefix)).chunk(3, dim=-1))
        if gate is None:
            out = F.scaled_dot_product_attention(q, torch.cat([pk, k], 2), torch.cat([pv, v], 2))
        else:
            out = F.scaled_dot_product_attention(q, k, v) + gate.prompt_term(q, pk, pv)
    else:
        out = F.scaled_dot_product_attention(q, k, v)
    x = x + layer.proj(out.transpose(1, 2).reshape(batch, length, dim))
    return x + layer.mlp(layer.norm2(x))

"""A plugin's encoder state as cacheable tensors, and back.

The tap cache stores the primary's state entering its prompt layer. A plugin may say how
with two methods (both or neither):

* ``cache_state(state) -> dict[str, Tensor]``: tensors whose first dimension is the
  token batch's rows; raise :class:`NotCacheable` for a state it cannot store;
* ``restore_state(tensors) -> state``: the state back from those tensors (batched).

Without them, a :class:`~dlm_core.tasks.TokenState` is stored as is: its tokens, its prompt
count and its ``extras``, which may nest dicts, lists and tuples of tensors with the batch's
rows first and of plain values (numbers, strings, ``None``), which must then agree between
the samples of a batch (grid sizes, say). Anything else in a state is not cacheable, and
the reason names it.
"""

from __future__ import annotations

from typing import Any

import torch

from ..tasks import TokenState


class NotCacheable(TypeError):
    """A state holds something the cache cannot store."""


_PLAIN = (type(None), bool, int, float, str)


def _flatten(value: Any, path: str, rows: int, tensors: dict) -> Any:
    """A JSON skeleton of ``value``; its tensors go to ``tensors`` under their path."""
    if isinstance(value, torch.Tensor):
        if value.dim() == 0 or value.shape[0] != rows:
            raise NotCacheable(
                f"{path} has shape {tuple(value.shape)}, not the batch's {rows} rows first"
            )
        tensors[path] = value
        return {'tensor': path}
    if isinstance(value, _PLAIN):
        return {'value': value}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise NotCacheable(f'{path} is a dict with keys that are not strings')
        return {'dict': {k: _flatten(v, f'{path}.{k}', rows, tensors) for k, v in value.items()}}
    if isinstance(value, (list, tuple)):
        kind = 'list' if isinstance(value, list) else 'tuple'
        return {kind: [_flatten(v, f'{path}[{i}]', rows, tensors) for i, v in enumerate(value)]}
    raise NotCacheable(f'{path} is a {type(value).__name__}')


def _rebuild(skeleton: dict, tensors: dict) -> Any:
    ((kind, body),) = skeleton.items()
    if kind == 'tensor':
        return tensors[body]
    if kind == 'value':
        return body
    if kind == 'dict':
        return {k: _rebuild(v, tensors) for k, v in body.items()}
    items = [_rebuild(v, tensors) for v in body]
    return items if kind == 'list' else tuple(items)


def encode_state(plugin, state: Any) -> tuple[dict[str, torch.Tensor], dict]:
    """``(tensors, skeleton)``: batched tensors and the JSON that rebuilds the state."""
    if hasattr(plugin, 'cache_state'):
        return dict(plugin.cache_state(state)), {'plugin': True}
    if not isinstance(state, TokenState):
        raise NotCacheable(
            f'{type(plugin).__name__} keeps its state in a {type(state).__name__}, not a '
            'TokenState, and defines no cache_state/restore_state'
        )
    rows = state.tokens.shape[0]
    tensors = {'tokens': state.tokens}
    extras = _flatten(state.extras, 'extras', rows, tensors)
    return tensors, {'num_prompts': state.num_prompts, 'extras': extras}


def decode_state(plugin, tensors: dict[str, torch.Tensor], skeleton: dict) -> Any:
    """The state that :func:`encode_state` described."""
    if skeleton.get('plugin'):
        return plugin.restore_state(tensors)
    return TokenState(
        tensors['tokens'], skeleton['num_prompts'], _rebuild(skeleton['extras'], tensors)
    )

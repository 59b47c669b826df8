"""Editing one auxiliary's prompts out of a trained DLM model at test time.

The mapper's output is the concatenation of one prompt group per auxiliary task
(``mapper.prompt_groups``, in auxiliary order). :func:`edited_prompt_group` changes one
group for the duration of a ``with`` block, in dynamic inference:

* ``'removed'``: its rows are sliced out of the prompts (and its column out of the prompt
  gate of an exact-start model), as if the model had been built without that auxiliary;
* ``'averaged'``: its rows are replaced by fixed rows (their average over a split), so
  the group keeps its place, its learnt mean and its gate, and loses only what it says
  about the sample at hand: what is left is what a static prompt could give.

``removed`` measures everything a group brings (knowledge and the capacity of extra
prompts); ``averaged`` measures the input-dependent part only. A group whose tap is
constant has prompts that do not depend on the input, so averaging it changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

from ..errors import ConfigError
from ..models.prompt_gate import PromptGate

EDITS = ('removed', 'averaged')


def check_attributable(model: nn.Module) -> list[str]:
    """The auxiliary names of a DLM model whose prompts come one group per auxiliary."""
    mapper = getattr(model, 'mapper', None)
    auxiliaries = list(getattr(model, 'auxiliaries', None) or {})
    if mapper is None or not getattr(model, 'uses_taps', False):
        raise ConfigError(
            'prompt attribution needs a DLM model whose prompts come from auxiliary taps '
            f'(an input-dependent mapper); this model has mapper {type(mapper).__name__}'
        )
    if len(mapper.prompt_groups) != len(auxiliaries):
        raise ConfigError(
            f'{type(mapper).__name__} gives prompt groups {mapper.prompt_groups}, not one per '
            f'auxiliary ({auxiliaries}): its prompts cannot be attributed to auxiliaries'
        )
    return auxiliaries


def group_rows(groups: list[int], index: int) -> slice:
    start = sum(groups[:index])
    return slice(start, start + groups[index])


@contextmanager
def edited_prompt_group(
    model: nn.Module, index: int, edit: str, rows: torch.Tensor | None = None
) -> Iterator[None]:
    """Group ``index`` of ``model``'s prompts ``edit``-ed (``'removed'`` or ``'averaged'``,
    then with ``rows`` ``(size, D)``) inside the block; the model is restored after."""
    check_attributable(model)
    if edit not in EDITS:
        raise ValueError(f'edit must be one of {EDITS}, got {edit!r}')
    if getattr(model, 'infer_mode', None) != 'dynamic':
        raise ConfigError(
            "editing prompt groups needs dynamic inference (model.infer_mode='dynamic'): "
            'static prompts are one moving average, not a mapper output per group'
        )
    mapper, gate = model.mapper, model.prompt_gate
    groups = list(mapper.prompt_groups)
    if not 0 <= index < len(groups):
        raise IndexError(f'prompt group {index} does not exist: the mapper has {len(groups)}')
    span = group_rows(groups, index)
    keep = [row for row in range(sum(groups)) if not span.start <= row < span.stop]
    if edit == 'averaged':
        if rows is None or tuple(rows.shape) != (groups[index], mapper.primary_dim):
            raise ValueError(
                f'averaging group {index} needs rows of shape ({groups[index]}, '
                f'{mapper.primary_dim}), got {None if rows is None else tuple(rows.shape)}'
            )

        def replace(module, args, prompts):
            prompts = prompts.clone()
            prompts[:, span] = rows.to(prompts)
            return prompts

        handle = mapper.register_forward_hook(replace)
        try:
            yield
        finally:
            handle.remove()
        return
    if not keep:  # the only group: the plain primary
        model.mapper = None
        try:
            yield
        finally:
            model.mapper = mapper
        return
    handle = mapper.register_forward_hook(lambda module, args, prompts: prompts[:, keep])
    if gate is not None:
        model.prompt_gate = _gate_without(gate, index)
    try:
        yield
    finally:
        handle.remove()
        if gate is not None:
            model.prompt_gate = gate


def _gate_without(gate: PromptGate, index: int) -> PromptGate:
    """``gate`` with the column of group ``index`` left out (the others' trained values)."""
    groups = [size for i, size in enumerate(gate.groups) if i != index]
    smaller = PromptGate(groups, gate.first_layer, gate.num_layers).to(gate.logits)
    columns = [i for i in range(len(gate.groups)) if i != index]
    with torch.no_grad():
        smaller.logits.copy_(gate.logits[:, columns])
    return smaller

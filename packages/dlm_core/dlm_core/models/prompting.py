"""Running a task plugin with prompts joined at one layer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from ..tasks import TaskPlugin


def encode_with_prompts(
    plugin: TaskPlugin,
    inputs: Any,
    prompt_layer: int,
    make_prompts: Callable[[int], torch.Tensor | None],
) -> Any:
    """Run ``plugin``'s encoder with prompts joining before ``prompt_layer``.

    Layers below ``prompt_layer`` are frozen and see no prompt, so they run under
    ``no_grad``: no backward pass ever reaches them. ``make_prompts(batch_size)`` gives
    ``(B, M, D)`` prompts, or ``None`` for the plain model.
    """
    with torch.no_grad():
        state = plugin.run_layers(plugin.embed(inputs), 0, prompt_layer)
    prompts = make_prompts(plugin.tokens(state).shape[0])
    return plugin.run_layers(state, prompt_layer, plugin.num_layers, prompts)


def check_prompt_width(prompts: torch.Tensor, plugin: TaskPlugin, origin: str) -> None:
    """Prompts must have the primary encoder's width."""
    if prompts.shape[-1] != plugin.embed_dim:
        raise ValueError(
            f'{origin} gives prompts of width {prompts.shape[-1]}, but '
            f'{type(plugin).__name__} has token width {plugin.embed_dim}'
        )

"""Running a task plugin with prompts joined at one layer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from ..errors import ConfigError
from ..tasks import TaskPlugin
from .prompt_gate import PromptGate


def lower_state(plugin: TaskPlugin, inputs: Any, prompt_layer: int) -> Any:
    """The state entering ``prompt_layer``: the stem and the layers below it, frozen and
    unprompted, under ``no_grad`` (no backward pass ever reaches them)."""
    with torch.no_grad():
        return plugin.run_layers(plugin.embed(inputs), 0, prompt_layer)


def upper_state(
    plugin: TaskPlugin,
    state: Any,
    prompt_layer: int,
    prompts: torch.Tensor | None,
    gate: PromptGate | None = None,
) -> Any:
    """The layers from ``prompt_layer`` on, with ``prompts`` (or none) joining there,
    their attention share gated by ``gate`` (exact start) when one is given."""
    if gate is None or prompts is None:
        return plugin.run_layers(state, prompt_layer, plugin.num_layers, prompts)
    return plugin.run_layers(state, prompt_layer, plugin.num_layers, prompts, gate=gate)


def encode_with_prompts(
    plugin: TaskPlugin,
    inputs: Any,
    prompt_layer: int,
    make_prompts: Callable[[int], torch.Tensor | None],
    gate: PromptGate | None = None,
) -> Any:
    """Run ``plugin``'s encoder with prompts joining before ``prompt_layer``.

    ``make_prompts(batch_size)`` gives ``(B, M, D)`` prompts, or ``None`` for the plain
    model; it is called after the lower layers ran. ``gate``: see :func:`upper_state`.
    """
    state = lower_state(plugin, inputs, prompt_layer)
    prompts = make_prompts(plugin.tokens(state).shape[0])
    return upper_state(plugin, state, prompt_layer, prompts, gate)


def check_gate_support(plugin: TaskPlugin) -> None:
    """Exact start needs a plugin that routes its attention through the gate."""
    if not plugin.supports_prompt_gate:
        raise ConfigError(
            f'exact_start=True needs a primary plugin whose run_layers takes gate= '
            f'(supports_prompt_gate); {type(plugin).__name__} does not'
        )


def check_prompt_width(prompts: torch.Tensor, plugin: TaskPlugin, origin: str) -> None:
    """Prompts must have the primary encoder's width."""
    if prompts.shape[-1] != plugin.embed_dim:
        raise ConfigError(
            f'{origin} gives prompts of width {prompts.shape[-1]}, but '
            f'{type(plugin).__name__} has token width {plugin.embed_dim}'
        )

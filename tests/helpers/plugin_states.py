"""A task plugin's tokens after all its layers, with prompts joined at one layer: what the
plugin tests compare between prompting paths."""

from __future__ import annotations


def full_state(plugin, inputs, prompts=None, layer=None):
    """``plugin``'s state after its last layer, ``prompts`` entering at ``layer`` (default
    the middle one)."""
    layer = plugin.num_layers // 2 if layer is None else layer
    state = plugin.run_layers(plugin.embed(inputs), 0, layer)
    return plugin.run_layers(state, layer, plugin.num_layers, prompts)

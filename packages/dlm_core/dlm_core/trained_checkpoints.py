"""Loading the checkpoint of a prompt-tuning run, which holds its trained tensors only.

A DLM checkpoint leaves out every frozen backbone tensor: the task plugins load those from
their own checkpoints when the model is built. MMEngine's loader does not know that and logs
each of them as a missing key (tens of kilobytes a test). :func:`load_trained_checkpoint`
loads the trained tensors, says in one line where every frozen model came from, and warns
only about keys that really are missing or unexpected.
:func:`check_static_prompts_ready` stops a static-inference test that has no trained
prompts to use, before any work is done.
"""

from __future__ import annotations

import logging
import re

from mmengine.logging import print_log
from torch import nn

from .errors import ConfigError


def is_prompt_tuning_model(model: nn.Module) -> bool:
    """Models that save their trained tensors only (``trained_state_dict``)."""
    return callable(getattr(model, 'trained_state_dict', None))


def frozen_sources(model: nn.Module) -> list[str]:
    """``'<role> <plugin> <- <checkpoint>'`` for every frozen task model of ``model``."""
    plugins = []
    if getattr(model, 'primary', None) is not None:
        plugins.append(('primary', model.primary))
    if getattr(model, 'task', None) is not None:
        plugins.append(('task', model.task))
    for name, plugin in (getattr(model, 'auxiliaries', None) or {}).items():
        plugins.append((f'auxiliary {name}', plugin))
    sources = []
    for role, plugin in plugins:
        try:
            source = plugin.resolve_checkpoint() if plugin.checkpoint else 'its own init'
        except Exception:  # noqa: BLE001 - a log line must not fail the run
            source = str(plugin.checkpoint)
        if getattr(plugin, 'random_init', False):
            source = f'random init (seed {plugin.random_init_seed})'
        sources.append(f'{role} {type(plugin).__name__} <- {source}')
    return sources


def _shorten(keys: list[str], limit: int = 4) -> str:
    shown = ', '.join(keys[:limit])
    return f'{shown}{", ..." if len(keys) > limit else ""} ({len(keys)} in all)'


def load_trained_state(
    model: nn.Module, checkpoint: dict, filename: str, revise_keys=((r'^module\.', ''),)
) -> None:
    """Load the state dict of ``checkpoint`` (read from ``filename``) into ``model``,
    non-strict as MMEngine's Runner does, with one line naming every model's source."""
    state = checkpoint.get('state_dict', checkpoint)
    for pattern, repl in revise_keys:
        state = {re.sub(pattern, repl, key): value for key, value in state.items()}
    result = model.load_state_dict(state, strict=False)
    trained = set(model.trained_state_dict())
    missing = [key for key in result.missing_keys if key in trained]
    print_log(
        f'loaded {len(state) - len(result.unexpected_keys)} trained tensors of '
        f'{type(model).__name__} from {filename}; frozen models from their own checkpoints: '
        + '; '.join(frozen_sources(model)),
        logger='current',
    )
    if missing:
        print_log(
            f'{filename} lacks trained tensors of this model, which keep their initial '
            f'values: {_shorten(missing)}',
            logger='current',
            level=logging.WARNING,
        )
    if result.unexpected_keys:
        print_log(
            f'{filename} holds tensors this model does not have (ignored): '
            f'{_shorten(result.unexpected_keys)}',
            logger='current',
            level=logging.WARNING,
        )


def check_static_prompts_ready(model: nn.Module, state: dict | None, checkpoint: str | None):
    """A model that tests with static prompts must have trained ones to test with."""
    if getattr(model, 'infer_mode', None) != 'static' or not getattr(model, 'uses_taps', False):
        return
    if state is not None:
        steps = state.get('ema_steps', state.get('module.ema_steps'))
        if steps is not None and int(steps) > 0:
            return
        why = f'checkpoint {checkpoint} holds none (ema_steps is 0 or absent)'
    elif int(getattr(model, 'ema_steps', 0)) > 0:
        return
    else:
        why = 'no checkpoint was given'
    raise ConfigError(
        "model.infer_mode='static' prompts the primary with the moving average of the "
        f"training prompts, and {why}: give the DLM run's checkpoint "
        '(python tools/test.py CONFIG work_dirs/<run>/epoch_<n>.pth) or test with '
        '--cfg-options model.infer_mode=dynamic'
    )

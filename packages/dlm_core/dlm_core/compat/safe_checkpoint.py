"""Let MMEngine checkpoints load with ``torch.load(weights_only=True)``.

Since torch 2.6 ``torch.load`` refuses to unpickle anything but tensors and plain
containers unless a class is allow-listed. MMEngine 0.10.7 saves its message hub, whose
``HistoryBuffer`` objects hold numpy arrays, so ``runner.resume`` fails. Two small steps
keep the check on and the allow-list short (docs/method.md §5):

* ``HistoryBuffer`` is pickled as a call to its own constructor with plain Python lists,
  and the message hub's runtime info (where the logger leaves numpy scalars such as
  ``eta``) is saved as plain Python numbers, so no numpy object (hence no
  ``builtins.getattr``) enters a checkpoint we write;
* ``HistoryBuffer`` is the one class added to torch's safe globals.

Checkpoints written by an unpatched MMEngine still contain numpy arrays; loading them
fails with torch's message naming the numpy global, never silently.
"""

from __future__ import annotations

import copyreg

import numpy as np
import torch
from mmengine.logging import HistoryBuffer, MessageHub

from ..errors import CheckpointError, MissingCheckpointError


def _reduce_history_buffer(buffer: HistoryBuffer):
    log_history, count_history = buffer.data
    return HistoryBuffer, (log_history.tolist(), count_history.tolist(), buffer.max_length)


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def _message_hub_state_without_numpy(original):
    def state_dict(self) -> dict:
        state = original(self)
        state['runtime_info'] = {k: _plain(v) for k, v in state['runtime_info'].items()}
        return state

    state_dict.__wrapped__ = original
    state_dict.__doc__ = original.__doc__
    return state_dict


def allow_mmengine_checkpoints() -> None:
    """Keep numpy out of MMEngine checkpoints and allow-list ``HistoryBuffer`` (idempotent)."""
    copyreg.pickle(HistoryBuffer, _reduce_history_buffer)
    if not hasattr(MessageHub.state_dict, '__wrapped__'):
        MessageHub.state_dict = _message_hub_state_without_numpy(MessageHub.state_dict)
    torch.serialization.add_safe_globals([HistoryBuffer])


def load_checkpoint_file(path: str, map_location='cpu') -> dict:
    """``torch.load`` with ``weights_only=True`` and an error that names the file."""
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise MissingCheckpointError(f'checkpoint file not found: {path}') from None
    except Exception as err:  # unpickling errors come in several types
        raise CheckpointError(
            f'cannot load checkpoint {path} with weights_only=True: {err}. Only tensors, plain '
            'containers and allow-listed MMEngine classes are accepted.'
        ) from err

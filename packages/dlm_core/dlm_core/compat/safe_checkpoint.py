"""Let MMEngine checkpoints load with ``torch.load(weights_only=True)``.

Since torch 2.6 ``torch.load`` refuses to unpickle anything but tensors and plain
containers unless a class is allow-listed. MMEngine 0.10.7 saves its message hub, whose
``HistoryBuffer`` objects hold numpy arrays, so ``runner.resume`` fails. Two small steps
keep the check on and the allow-list short (DESIGN.md §5):

* ``HistoryBuffer`` is pickled as a call to its own constructor with plain Python lists,
  so no numpy object (and no ``builtins.getattr``) enters a checkpoint we write;
* ``HistoryBuffer`` is the one class added to torch's safe globals.

Checkpoints written by an unpatched MMEngine still contain numpy arrays; loading them
fails with torch's message naming the numpy global, never silently.
"""

from __future__ import annotations

import copyreg

import torch
from mmengine.logging import HistoryBuffer


def _reduce_history_buffer(buffer: HistoryBuffer):
    log_history, count_history = buffer.data
    return HistoryBuffer, (log_history.tolist(), count_history.tolist(), buffer.max_length)


def allow_mmengine_checkpoints() -> None:
    """Register the plain-list pickling of ``HistoryBuffer`` and allow-list the class."""
    copyreg.pickle(HistoryBuffer, _reduce_history_buffer)
    torch.serialization.add_safe_globals([HistoryBuffer])


def load_checkpoint_file(path: str, map_location='cpu') -> dict:
    """``torch.load`` with ``weights_only=True`` and an error that names the file."""
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise FileNotFoundError(f'checkpoint file not found: {path}') from None
    except Exception as err:  # unpickling errors come in several types
        raise RuntimeError(
            f'cannot load checkpoint {path} with weights_only=True: {err}. Only tensors, plain '
            'containers and allow-listed MMEngine classes are accepted.') from err

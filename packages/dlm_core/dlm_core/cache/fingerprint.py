"""What cached taps depend on, as a comparable record: frozen weights, layers, pipeline.

The weights are hashed as loaded (not the checkpoint file's bytes), so a changed or
re-trained checkpoint, a different file at the same path, or a model built without one
each get their own digest; tensors that train (a head with ``train_head=True``) are left
out, so resuming a run keeps its cache.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn


def frozen_digest(module: nn.Module) -> str:
    """A hash of the names, dtypes, shapes and values of the frozen tensors of ``module``."""
    digest = hashlib.blake2b(digest_size=20)
    named = list(module.named_parameters()) + list(module.named_buffers())
    for name, tensor in sorted(named, key=lambda item: item[0]):
        if tensor.requires_grad:
            continue
        tensor = tensor.detach().cpu().contiguous()
        digest.update(f'{name}:{tensor.dtype}:{tuple(tensor.shape)};'.encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy())
    return digest.hexdigest()


def canonical(value: Any) -> Any:
    """A config in JSON terms (tuples as lists, classes and functions by name)."""
    if hasattr(value, 'to_dict'):
        value = value.to_dict()
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, (type(None), bool, int, float, str)):
        return value
    if isinstance(value, type) or callable(value):
        return f'{getattr(value, "__module__", "?")}.{getattr(value, "__qualname__", value)}'
    return repr(value)


def changes(old: Mapping, new: Mapping) -> list[str]:
    """The top-level entries that differ between two fingerprints."""
    names = sorted(set(old) | set(new))
    return [
        n
        for n in names
        if json.dumps(old.get(n), sort_keys=True) != json.dumps(new.get(n), sort_keys=True)
    ]

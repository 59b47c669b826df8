"""Stable keys for the samples of a batch: which cache entry belongs to which sample.

A sample is named by the identity fields of its metainfo (file name, video id, frame
folder, AVA key ...) together with the fields that describe its view (frame indices, clip
index, crop ...). When a sample's metainfo names no identity, its content is its key: a hash
of its input tensors and its metainfo, exact for a deterministic pipeline. With
``fixed_view`` (the user accepts one fixed view of a randomly augmented sample) the key is
the identity alone, so a sample without one cannot be cached.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

#: Metainfo fields that name a sample.
IDENTITY_FIELDS = (
    'filename',
    'video_path',
    'img_path',
    'frame_dir',
    'video',
    'video_id',
    'video_name',
    'img_key',
    'img_id',
    'sample_idx',
)
#: Metainfo fields that say which view of the sample this is.
VIEW_FIELDS = (
    'frame_inds',
    'clip_idx',
    'clip_len',
    'num_clips',
    'frame_interval',
    'frame_id',
    'timestamp',
    'start_index',
    'crop_bbox',
    'flip',
    'flip_direction',
    'img_shape',
)


def _plain(value: Any) -> Any:
    """``value`` in JSON terms; arrays by dtype, shape and a hash of their bytes."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        digest = hashlib.blake2b(np.ascontiguousarray(value).tobytes(), digest_size=16)
        return ['array', str(value.dtype), list(value.shape), digest.hexdigest()]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (type(None), bool, int, float, str)):
        return value
    return repr(value)


def _metainfo(sample) -> dict:
    return dict(getattr(sample, 'metainfo', None) or {})


def _digest(payload: Any) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(',', ':'))
    return hashlib.blake2b(text.encode(), digest_size=20).hexdigest()


def identity_keys(data_samples: Sequence, fixed_view: bool) -> list[str] | None:
    """Keys from the metainfo identity (and view) fields; ``None`` if a sample has none."""
    keys = []
    for sample in data_samples:
        info = _metainfo(sample)
        identity = {f: _plain(info[f]) for f in IDENTITY_FIELDS if f in info}
        if not identity:
            return None
        if not fixed_view:
            identity.update({f: _plain(info[f]) for f in VIEW_FIELDS if f in info})
        keys.append('id-' + _digest(identity))
    return keys


def _bytes(tensor: torch.Tensor) -> tuple[str, np.ndarray]:
    tensor = tensor.detach().cpu().contiguous()
    return f'{tensor.dtype}{tuple(tensor.shape)}', tensor.reshape(-1).view(torch.uint8).numpy()


def _split(inputs: Any, count: int, path: str = 'inputs') -> list[list]:
    """Per sample, its input tensors as ``(dtype and shape, bytes)`` pairs. ``inputs`` is a
    batched tensor, a list with one item per sample, or a dict of either."""
    if isinstance(inputs, torch.Tensor):
        if inputs.dim() == 0 or inputs.shape[0] != count:
            raise ValueError(f'{path} has shape {tuple(inputs.shape)}, not {count} samples first')
        return [[_bytes(row)] for row in inputs]
    if isinstance(inputs, Mapping):
        rows = [[] for _ in range(count)]
        for key in sorted(inputs):
            for row, part in zip(rows, _split(inputs[key], count, f'{path}[{key!r}]')):
                row += part
        return rows
    if isinstance(inputs, (list, tuple)) and len(inputs) == count:
        return [_one(item, f'{path}[{i}]') for i, item in enumerate(inputs)]
    kind = type(inputs).__name__
    raise ValueError(f'{path} is a {kind} that does not split into {count} samples')


def _one(item: Any, path: str) -> list:
    """One sample's input (a tensor or a dict of tensors) as ``(description, bytes)`` pairs."""
    if isinstance(item, torch.Tensor):
        return [_bytes(item)]
    if isinstance(item, Mapping):
        return [part for key in sorted(item) for part in _one(item[key], f'{path}[{key!r}]')]
    raise ValueError(f'{path} is a {type(item).__name__}, not a tensor or a dict of tensors')


def content_keys(inputs: Any, data_samples: Sequence) -> list[str]:
    """Keys from each sample's input bytes and metainfo (raises ``ValueError`` when the
    inputs do not split into one part per sample)."""
    keys = []
    for sample, parts in zip(data_samples, _split(inputs, len(data_samples))):
        digest = hashlib.blake2b(digest_size=20)
        for description, array in parts:
            digest.update(description.encode())
            digest.update(array)
        digest.update(_digest(_plain(_metainfo(sample))).encode())
        keys.append('content-' + digest.hexdigest())
    return keys

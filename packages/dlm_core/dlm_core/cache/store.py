"""Sharded, append-only tensor files read through memory maps.

Each process (rank) appends to its own shard, ``shard_<rank>/``: ``data.bin`` holds the raw
bytes of the tensors, ``index.jsonl`` one JSON record per entry, written only after the
entry's bytes are flushed. A crash can leave unused bytes or a half-written last line, never
a record that points at missing bytes: an incomplete line is ignored. Every process reads
every shard (a distributed sampler hands a sample to another rank in the next epoch), so a
lookup that misses first reads the records other shards have appended since.
"""

from __future__ import annotations

import glob
import json
import os
import os.path as osp
import shutil

import numpy as np
import torch

INDEX, DATA = 'index.jsonl', 'data.bin'


def _dtype(name: str) -> torch.dtype:
    dtype = getattr(torch, name.rsplit('.', 1)[-1], None)
    if not isinstance(dtype, torch.dtype):
        raise ValueError(f'tensor store: unknown dtype {name!r}')
    return dtype


class _Shard:
    """One shard's records (read so far) and a memory map of its data file."""

    def __init__(self, path: str):
        self.path = path
        self.read_to = 0  # bytes of index.jsonl already parsed
        self.map: np.memmap | None = None

    def new_records(self) -> list[dict]:
        index = osp.join(self.path, INDEX)
        if not osp.isfile(index):
            return []
        with open(index, 'rb') as handle:
            handle.seek(self.read_to)
            chunk = handle.read()
        end = chunk.rfind(b'\n') + 1  # a line without its newline is still being written
        self.read_to += end
        return [json.loads(line) for line in chunk[:end].splitlines() if line.strip()]

    def read(self, offset: int, nbytes: int) -> np.ndarray:
        if nbytes == 0:
            return np.zeros(0, dtype=np.uint8)
        if self.map is None or offset + nbytes > len(self.map):
            self.map = np.memmap(osp.join(self.path, DATA), dtype=np.uint8, mode='r')
        return self.map[offset : offset + nbytes]


class TensorStore:
    """Entries ``key -> (named tensors, JSON note)`` in a directory of shards.

    ``put`` appends to this process's shard; ``get`` returns copies of the stored tensors
    (on the CPU), or ``None``. Keys are strings; a key is stored once.
    """

    def __init__(self, root: str, shard: int = 0):
        self.root = root
        self.own = osp.join(root, f'shard_{int(shard)}')
        os.makedirs(self.own, exist_ok=True)
        self._shards: dict[str, _Shard] = {}
        self._entries: dict[str, tuple[_Shard, dict]] = {}
        self._data = open(osp.join(self.own, DATA), 'ab')  # noqa: SIM115  (kept open)
        self.refresh()

    def close(self) -> None:
        if not self._data.closed:
            self._data.close()
        for shard in self._shards.values():
            shard.map = None

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: str) -> bool:
        return key in self._entries

    def refresh(self) -> None:
        """Read the records every shard has appended since the last refresh."""
        for path in sorted(glob.glob(osp.join(self.root, 'shard_*'))):
            shard = self._shards.setdefault(path, _Shard(path))
            for record in shard.new_records():
                self._entries.setdefault(record['key'], (shard, record))

    def put(self, key: str, tensors: dict[str, torch.Tensor], note: dict | None = None) -> None:
        if key in self._entries:
            return
        fields = {}
        self._data.seek(0, os.SEEK_END)
        for name, tensor in tensors.items():
            tensor = tensor.detach().to('cpu').contiguous()
            raw = tensor.reshape(-1).view(torch.uint8).numpy()
            fields[name] = [self._data.tell(), str(tensor.dtype), list(tensor.shape)]
            self._data.write(raw.tobytes())
        self._data.flush()
        record = dict(key=key, note=note or {}, tensors=fields)
        with open(osp.join(self.own, INDEX), 'a') as index:
            index.write(json.dumps(record, separators=(',', ':')) + '\n')
        shard = self._shards.setdefault(self.own, _Shard(self.own))
        self._entries[key] = (shard, record)

    def get(self, key: str) -> tuple[dict[str, torch.Tensor], dict] | None:
        if key not in self._entries:
            self.refresh()
        if key not in self._entries:
            return None
        shard, record = self._entries[key]
        tensors = {}
        for name, (offset, dtype_name, shape) in record['tensors'].items():
            dtype = _dtype(dtype_name)
            itemsize = torch.empty(0, dtype=dtype).element_size()
            nbytes = int(np.prod(shape, dtype=np.int64)) * itemsize
            raw = torch.empty(nbytes, dtype=torch.uint8)
            raw.numpy()[:] = shard.read(offset, nbytes)  # the one copy out of the map
            tensors[name] = raw.view(dtype).reshape(shape)
        return tensors, record['note']

    @staticmethod
    def clear(root: str) -> None:
        """Remove the shards under ``root`` (and nothing else there)."""
        for path in glob.glob(osp.join(root, 'shard_*')):
            shutil.rmtree(path)

"""Finding the checkpoint file a path means."""

from __future__ import annotations

import os.path as osp


def find_checkpoint(path: str) -> str | None:
    """``path`` itself if it is a file; for a work dir, the file its MMEngine
    ``last_checkpoint`` pointer names; ``None`` when there is none."""
    if osp.isdir(path):
        pointer = osp.join(path, 'last_checkpoint')
        if not osp.isfile(pointer):
            return None
        with open(pointer) as handle:
            path = handle.read().strip()
    return path if osp.isfile(path) else None

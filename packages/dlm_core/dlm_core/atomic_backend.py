"""A local file backend that never leaves a half-written checkpoint behind.

MMEngine's ``LocalBackend`` opens the target and writes into it, so a job killed
mid-save leaves a truncated ``epoch_N.pth`` that ``--resume`` then picks up. This backend
writes to a temporary file beside the target and renames it over the target (atomic
on POSIX file systems). Configs select it with
``CheckpointHook(backend_args=dict(backend='atomic_local'))``, as the shared runtime
config does.
"""

from __future__ import annotations

import os
import os.path as osp
import tempfile

from mmengine.fileio import LocalBackend, register_backend


def atomic_write(data: bytes, filepath: str) -> None:
    """Write ``data`` to ``filepath`` through a temporary file and a rename."""
    directory = osp.dirname(osp.abspath(filepath))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.tmp-')
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


class AtomicLocalBackend(LocalBackend):
    """``LocalBackend`` whose writes are atomic."""

    def put(self, obj: bytes, filepath) -> None:
        atomic_write(obj, str(filepath))

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        atomic_write(obj.encode(encoding), str(filepath))


register_backend('atomic_local', AtomicLocalBackend, force=True)

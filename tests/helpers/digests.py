"""A written demo set's fingerprint, for the tests that check a writer is deterministic."""

from __future__ import annotations

import hashlib
import os


def folder_digest(folder) -> str:
    """SHA-256 over every file's name and bytes under ``folder``, in sorted walk order."""
    digest = hashlib.sha256()
    for root, _, files in sorted(os.walk(folder)):
        for name in sorted(files):
            with open(os.path.join(root, name), 'rb') as f:
                digest.update(name.encode() + f.read())
    return digest.hexdigest()


def file_digests(folder) -> dict[str, str]:
    """``{relative path: sha256}`` of every file under ``folder``."""
    hashes = {}
    for directory, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(directory, name)
            with open(path, 'rb') as file:
                hashes[os.path.relpath(path, folder)] = hashlib.sha256(file.read()).hexdigest()
    return hashes

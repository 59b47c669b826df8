"""What a part's numbers rest on besides its command: the machine, the libraries, the code
and the bench data each primary was trained and tested on.

Two parts of one primary can disagree in level (YouTube-VIS full fine-tuning gave 15.76
video AP in one part and 11.76 in another, same config and seeds, another CPU): the page
compares within a part only, and these fields tell a reader whether two parts ran on the
same data, libraries and code.
"""

from __future__ import annotations

import hashlib
import os
import os.path as osp
import platform
import subprocess
from importlib import metadata

#: the distributions whose versions change what a run computes
LIBRARIES = (
    'torch',
    'numpy',
    'mmengine',
    'mmcv',
    'mmdet',
    'mmaction2',
    'opencv-python',
    'opencv-python-headless',
    'pillow',
    'pycocotools',
    'scikit-video',
)


def libraries() -> dict:
    """``{distribution: version}`` of the installed ``LIBRARIES`` (absent ones left out)."""
    found = {}
    for name in LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def code_commit(repo: str) -> str | None:
    """The commit checked out in ``repo`` (``+`` when files outside ``docs/`` have changes),
    or None outside a git checkout."""
    try:
        head = subprocess.run(
            ['git', '-C', repo, 'rev-parse', '--short=12', 'HEAD'],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            # the results a part writes into docs/ are not code
            ['git', '-C', repo, 'status', '--porcelain', '--untracked-files=no', '--', '.']
            + [':!docs'],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ('+' if dirty else '')


def machine(repo: str | None = None) -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as handle:
            cpu = next(
                (ln.split(':', 1)[1].strip() for ln in handle if ln.startswith('model name')), cpu
            )
    except OSError:
        pass
    found = dict(cpu=cpu, cores=os.cpu_count(), python=platform.python_version())
    found['libraries'] = libraries()
    if repo is not None:
        found['code'] = code_commit(repo)
    return found


def data_digest(folder: str) -> str | None:
    """sha256 (16 hex digits) over every file under ``folder``: relative path and bytes,
    in path order; None when there is no such folder."""
    if not osp.isdir(folder):
        return None
    digest = hashlib.sha256()
    names = sorted(
        osp.relpath(osp.join(top, name), folder)
        for top, _, files in os.walk(folder)
        for name in files
    )
    for name in names:
        digest.update(name.encode() + b'\0')
        with open(osp.join(folder, name), 'rb') as handle:
            for block in iter(lambda: handle.read(1 << 20), b''):
                digest.update(block)
        digest.update(b'\0')
    return digest.hexdigest()[:16]


def differences(parts: list, primary: str) -> list:
    """What differs between the parts that hold ``primary``'s sections, as phrases
    (``'bench data (a1..., b2...)'``); fields a part did not record are not compared."""
    holders = [p for p in parts if primary in p.get('primaries', ())]
    found = []
    digests = {p['data'][primary] for p in holders if (p.get('data') or {}).get(primary)}
    if len(digests) > 1:
        found.append(f'bench data ({", ".join(sorted(digests))})')
    versions: dict = {}
    for part in holders:
        for name, version in ((part.get('machine') or {}).get('libraries') or {}).items():
            versions.setdefault(name, set()).add(version)
    changed = [f'{n} {" / ".join(sorted(v))}' for n, v in sorted(versions.items()) if len(v) > 1]
    if changed:
        found.append('libraries (' + ', '.join(changed) + ')')
    return found

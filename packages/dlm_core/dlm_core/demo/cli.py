"""The command line the demo set writers share: ``--root``, ``--seed`` and, for a writer of
more than one set, ``--sets``; one line a set says what it wrote where and how fast."""

from __future__ import annotations

import argparse
import os.path as osp
import time
from collections.abc import Callable, Sequence


def write_sets_main(
    description: str,
    write: Callable[[str, str, int], int],
    unit: str,
    names: Sequence[str],
    argv: list[str] | None = None,
) -> None:
    """Parse ``argv`` and call ``write(name, folder, seed)`` (it returns how many ``unit``
    it wrote) for each chosen set, ``folder`` being ``ROOT/name``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('--root', default='data/demo', help='parent folder of the sets')
    parser.add_argument('--seed', type=int, default=0)
    if len(names) > 1:
        parser.add_argument('--sets', nargs='+', default=list(names), choices=list(names))
    args = parser.parse_args(argv)
    for name in getattr(args, 'sets', names):
        start = time.time()
        folder = osp.join(args.root, name)
        count = write(name, folder, args.seed)
        print(f'{name}: {count} {unit} in {folder} ({time.time() - start:.1f} s)')

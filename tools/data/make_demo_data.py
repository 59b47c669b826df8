"""Write the embedded demo benchmark (DESIGN.md §3) under data/demo/.

    python tools/data/make_demo_data.py [--root data/demo] [--sets ssv2 ...] [--force]

Each task package writes its own sets in their real on-disk formats from the moving-digit
renderer of dlm_core. Deterministic from --seed; a set already written (it has a
``.complete`` marker) is skipped unless --force.
"""

from __future__ import annotations

import argparse
import importlib
import os
import os.path as osp
import shutil
import time

#: demo set -> the module whose ``write_demo(name, folder, seed)`` writes it
DEMO_SETS = {
    'ssv2': 'tasks_recognition.demo.action_recognition',
    'ucf101': 'tasks_recognition.demo.action_recognition',
    'hmdb51': 'tasks_recognition.demo.action_recognition',
    'ava': 'tasks_detection.demo.ava',
    'ava_kinetics': 'tasks_detection.demo.ava',
    'thumos14': 'tasks_detection.demo.thumos14',
    '50salads': 'tasks_segmentation.demo.action_segmentation',
    'breakfast': 'tasks_segmentation.demo.action_segmentation',
    'gtea': 'tasks_segmentation.demo.action_segmentation',
    'imagenet_vid': 'tasks_detection.demo.imagenet_vid',
    'youtube_vis': 'tasks_segmentation.demo.youtube_vis',
}
MARKER = '.complete'


def folder_size(path: str) -> int:
    return sum(osp.getsize(osp.join(d, f)) for d, _, files in os.walk(path) for f in files)


def write_set(name: str, root: str, seed: int = 0, force: bool = False) -> str:
    """Write one demo set into ``root/name`` unless it is complete already (same seed and,
    where its module declares a ``DEMO_VERSION``, the same layout version)."""
    if name not in DEMO_SETS:
        raise KeyError(f'unknown demo set {name!r}; known: {sorted(DEMO_SETS)}')
    folder = osp.join(root, name)
    module = importlib.import_module(DEMO_SETS[name])
    stamp = f'seed={seed}\n'
    if getattr(module, 'DEMO_VERSION', None) is not None:
        stamp += f'version={module.DEMO_VERSION}\n'
    marker = osp.join(folder, MARKER)
    if osp.isfile(marker) and not force:
        with open(marker) as handle:
            if handle.read() == stamp:
                return 'kept'
    if osp.isdir(folder):
        shutil.rmtree(folder)  # partial, another seed or an older layout, or --force
    module.write_demo(name, folder, seed)
    with open(marker, 'w') as handle:
        handle.write(stamp)
    return 'written'


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description='Write the embedded demo benchmark')
    parser.add_argument('--root', default='data/demo')
    parser.add_argument('--sets', nargs='+', default=list(DEMO_SETS), choices=list(DEMO_SETS))
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--force', action='store_true', help='rewrite sets that exist')
    args = parser.parse_args(argv)
    for name in args.sets:
        start = time.time()
        status = write_set(name, args.root, args.seed, args.force)
        folder = osp.join(args.root, name)
        print(
            f'{name:>13}: {status} {folder} ({folder_size(folder) / 1e6:.1f} MB, '
            f'{time.time() - start:.1f} s)'
        )


if __name__ == '__main__':
    main()

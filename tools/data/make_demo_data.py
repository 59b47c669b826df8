"""Write the embedded demo benchmark (docs/method.md §3) under data/demo/.

    python tools/data/make_demo_data.py [--root data/demo] [--sets ssv2 ...] [--force]
    python tools/data/make_demo_data.py --preset bench      # under data/bench/

Each task package writes its own sets in their real on-disk formats from the moving-digit
renderer of dlm_core. Deterministic from --seed; a set already written (it has a
``.complete`` marker) is skipped unless --force.

``--preset bench`` writes the sets that ``dlm_bench`` (``make reproduce``) runs on: each of
the six primaries keeps its training split, gets a larger test split (the default test
videos first) and a validation split of videos that continue the training stream, in the
set's own format (``dlm_bench.splits.BENCH_VALIDATION`` names the files); the held-out
zero-shot sets are the default ones. Sizes, and why they resolve a 2-point difference, are
in ``dlm_bench.splits``. Measured here (2 cores shared with other jobs): 8.7 min and 109 MB
(the default sets: 4.3 min and 65 MB).
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
PRESETS = ('default', 'bench')
#: the sets whose splits differ in the bench preset (the six primaries)
BENCH_SETS = ('ssv2', 'ava', 'thumos14', '50salads', 'imagenet_vid', 'youtube_vis')
ROOTS = {'default': 'data/demo', 'bench': 'data/bench'}


def folder_size(path: str) -> int:
    return sum(osp.getsize(osp.join(d, f)) for d, _, files in os.walk(path) for f in files)


def write_set(
    name: str, root: str, seed: int = 0, force: bool = False, preset: str = 'default'
) -> str:
    """Write one demo set into ``root/name`` unless it is complete already (same seed, same
    preset and, where its module declares a ``DEMO_VERSION``, the same layout version)."""
    if name not in DEMO_SETS:
        raise KeyError(f'unknown demo set {name!r}; known: {sorted(DEMO_SETS)}')
    if preset not in PRESETS:
        raise KeyError(f'unknown preset {preset!r}; known: {PRESETS}')
    folder = osp.join(root, name)
    module = importlib.import_module(DEMO_SETS[name])
    bench = preset == 'bench' and name in BENCH_SETS
    stamp = f'seed={seed}\n'
    if getattr(module, 'DEMO_VERSION', None) is not None:
        stamp += f'version={module.DEMO_VERSION}\n'
    if bench:
        stamp += 'preset=bench\n'
    marker = osp.join(folder, MARKER)
    if osp.isfile(marker) and not force:
        with open(marker) as handle:
            if handle.read() == stamp:
                return 'kept'
    if osp.isdir(folder):
        shutil.rmtree(folder)  # partial, another seed or an older layout, or --force
    if bench:
        module.write_demo(name, folder, seed, preset='bench')
    else:
        module.write_demo(name, folder, seed)
    with open(marker, 'w') as handle:
        handle.write(stamp)
    return 'written'


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description='Write the embedded demo benchmark')
    parser.add_argument('--root', help='default: data/demo, or data/bench with --preset bench')
    parser.add_argument('--preset', choices=PRESETS, default='default')
    parser.add_argument('--sets', nargs='+', default=list(DEMO_SETS), choices=list(DEMO_SETS))
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--force', action='store_true', help='rewrite sets that exist')
    args = parser.parse_args(argv)
    root = args.root or ROOTS[args.preset]
    for name in args.sets:
        start = time.time()
        status = write_set(name, root, args.seed, args.force, args.preset)
        folder = osp.join(root, name)
        print(
            f'{name:>13}: {status} {folder} ({folder_size(folder) / 1e6:.1f} MB, '
            f'{time.time() - start:.1f} s)'
        )


if __name__ == '__main__':
    main()

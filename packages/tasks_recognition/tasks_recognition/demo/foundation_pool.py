"""The demo's pretraining pool: clips for the shared foundation ViT, in no task's test split.

In the paper every ViT-B task model starts from one pretrained checkpoint (VideoMAE V2); the
demo's stand-in is a ViT pretrained on this pool with the generator's latent labels: each
clip shows one handwritten digit doing one motion template of ``dlm_core.demo.MOTIONS``, and
its label is the pair (motion, digit), ``label = motion_index * 10 + digit``. The pool is
drawn from its own random stream (``SeedSequence([seed, POOL_SET_ID, index])``; the
recognition sets use ids 1-3), so no clip of any demo split is in it; its hands are those of
the SSv2 set (the held-out UCF101 / HMDB51 hands stay unseen), its backgrounds every style.
Written in the SSv2 list layout (``relpath label``) that mmaction2's ``VideoDataset`` reads:

    python -m tasks_recognition.demo.foundation_pool --root data/demo [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import os
import os.path as osp
import time

import numpy as np

from dlm_core.demo import (
    BACKGROUND_STYLES,
    MOTIONS,
    make_background,
    motion_track,
    pick_glyph,
    render_clip,
)
from dlm_core.demo.video_writer import write_mp4

from .action_recognition import NUM_FRAMES, SPECS, SetSpec

NAME = 'foundation'
#: Bump when the pool's layout or content changes (make_demo_data rewrites on a new version).
DEMO_VERSION = 1
POOL_SET_ID = 100
POOL_SPEC = SetSpec(
    set_id=POOL_SET_ID,
    width=64,
    height=64,
    fps=12.0,
    writers=SPECS['ssv2'].writers,
    backgrounds=BACKGROUND_STYLES,
    contrast=(0.1, 0.35),
    digits=tuple(range(10)),
)
NUM_DIGITS = 10
NUM_CLASSES = len(MOTIONS) * NUM_DIGITS
#: Clips per split; a multiple of the 110 (motion, digit) pairs keeps the pool balanced.
POOL_CLIPS = {'train': 30 * NUM_CLASSES, 'val': 3 * NUM_CLASSES}
LIST_FILE = 'foundation_{split}_list_videos.txt'
RECORDS_FILE = 'pool_clips.json'

if POOL_SET_ID in {spec.set_id for spec in SPECS.values()}:  # pragma: no cover
    raise RuntimeError(f'pool set id {POOL_SET_ID} is taken by a recognition demo set')


def latent_label(motion: str, digit: int) -> int:
    """The pool's class of a clip: ``motion_index * 10 + digit``."""
    return MOTIONS.index(motion) * NUM_DIGITS + int(digit)


def pool_class_names() -> list[str]:
    """``'<motion>/<digit>'`` in label order."""
    return [f'{motion}/{digit}' for motion in MOTIONS for digit in range(NUM_DIGITS)]


def pool_factors(index: int) -> tuple[str, int]:
    """The (motion, digit) of pool clip ``index``: cycling through the 110 pairs."""
    pair = index % NUM_CLASSES
    return MOTIONS[pair // NUM_DIGITS], pair % NUM_DIGITS


def pool_seed_key(seed: int, index: int) -> list[int]:
    """The entropy of pool clip ``index``'s random stream."""
    return [int(seed), POOL_SET_ID, int(index)]


def render_pool_clip(seed: int, index: int) -> tuple[np.ndarray, dict]:
    """The ``(T, H, W, 3)`` frames of pool clip ``index`` and its latent labels (motion,
    digit, background, first centre): a pure function of ``seed`` and ``index``."""
    motion, digit = pool_factors(index)
    spec = POOL_SPEC
    rng = np.random.default_rng(np.random.SeedSequence(pool_seed_key(seed, index)))
    glyph = pick_glyph(digit, rng, spec.writers)
    style = str(rng.choice(spec.backgrounds))
    background = make_background(
        spec.height, spec.width, rng, style, contrast=float(rng.uniform(*spec.contrast))
    )
    track = motion_track(glyph, digit, motion, NUM_FRAMES, spec.height, spec.width, rng)
    latents = dict(
        motion=motion,
        digit=digit,
        label=latent_label(motion, digit),
        background=style,
        center=[round(float(v), 2) for v in track.centers[0]],
    )
    return render_clip([track], background, NUM_FRAMES).frames, latents


def pool_indices(split: str, sizes: dict | None = None) -> range:
    """The clip indices of ``split`` (``train`` first, then ``val``: one stream, no overlap)."""
    sizes = sizes or POOL_CLIPS
    if split not in sizes:
        raise ValueError(f'pool split must be one of {sorted(sizes)}, got {split!r}')
    start = 0
    for name in ('train', 'val'):
        if name == split:
            return range(start, start + int(sizes[name]))
        start += int(sizes.get(name, 0))
    raise ValueError(f'pool split {split!r} is neither train nor val')  # pragma: no cover


def write_pool(root: str, seed: int = 0, sizes: dict | None = None) -> int:
    """Write the pool's mp4 clips, list files and per-clip latent labels under ``root``;
    returns the number of clips. The same ``seed`` gives the same clips."""
    sizes = sizes or POOL_CLIPS
    os.makedirs(osp.join(root, 'videos'), exist_ok=True)
    records, count = [], 0
    for split in ('train', 'val'):
        lines = []
        for index in pool_indices(split, sizes):
            frames, latents = render_pool_clip(seed, index)
            relpath = f'{index}.mp4'
            write_mp4(osp.join(root, 'videos', relpath), frames, POOL_SPEC.fps)
            lines.append(f'{relpath} {latents["label"]}')
            records.append(
                dict(file=relpath, split=split, seed_key=pool_seed_key(seed, index), **latents)
            )
            count += 1
        with open(osp.join(root, LIST_FILE.format(split=split)), 'w') as handle:
            handle.write(''.join(f'{line}\n' for line in lines))
    with open(osp.join(root, RECORDS_FILE), 'w') as handle:
        json.dump(dict(classes=pool_class_names(), clips=records), handle)
        handle.write('\n')
    return count


def write_demo(name: str, root: str, seed: int = 0) -> int:
    """``make_demo_data``'s interface: write the pool (``name`` must be ``foundation``)."""
    if name != NAME:
        raise ValueError(f'this module writes the demo set {NAME!r}, got {name!r}')
    return write_pool(root, seed)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Write the foundation ViT's pretraining pool")
    parser.add_argument('--root', default='data/demo', help='parent folder of the demo sets')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    start = time.time()
    folder = osp.join(args.root, NAME)
    count = write_pool(folder, args.seed)
    print(f'{NAME}: {count} clips in {folder} ({time.time() - start:.1f} s)')


if __name__ == '__main__':
    main()

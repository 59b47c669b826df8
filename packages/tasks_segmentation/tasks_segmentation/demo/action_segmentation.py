"""Writes the demo action segmentation sets (``50salads``, ``breakfast``, ``gtea``).

The real MS-TCN / ASFormer layout, so the real loaders read them::

    <root>/<name>/features/<video>.npy      (C, T) float32, one column per frame
    <root>/<name>/groundTruth/<video>.txt   one class name per frame
    <root>/<name>/mapping.txt               "<index> <class name>" per line
    <root>/<name>/splits/{train,test}.split<k>.bundle   "<video>.txt" per line
    <root>/<name>/videos/<video>.mp4        the frames, for video models (same samples)

Videos are recipes of moving handwritten digits (see :mod:`.action_segmentation_recipes`)
drawn by dlm_core's renderer; features come from the registered
:class:`~tasks_segmentation.models.features.snippet_features.SnippetFeatureExtractor` run on the
rendered frames. Deterministic from ``seed``; a few MB per set; seconds to write.

python -m tasks_segmentation.demo.action_segmentation --root data/demo [--sets ...] [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import os.path as osp
import shutil
import time

import numpy as np
import torch

from dlm_core.demo import BACKGROUND_STYLES, make_background, motion_track, pick_glyph, render_clip
from dlm_core.demo.video_writer import write_mp4

from ..models.features.snippet_features import SnippetFeatureExtractor
from .action_segmentation_recipes import BACKGROUND, OBJECT_COLORS, RECIPES, SPECS, DemoSetSpec

DEMO_SETS = tuple(SPECS)
PRESETS = ('default', 'bench')
#: The benchmark preset of ``50salads`` (split 1 only): subjects 11-20 join the test split
#: (24 videos, the first 4 the default's) and subjects 21-24 are the validation split
#: (``splits/val.split1.bundle``, 8 videos); training is the default's 16 videos. The new
#: subjects' videos are drawn after the default ones, from the same stream.
BENCH_SUBJECTS = {'test': range(11, 21), 'val': range(21, 25)}


def _bench_videos(spec: DemoSetSpec) -> tuple:
    """``(videos, {subset: video names})`` of the benchmark preset (split 1)."""
    extra = {
        subset: [(f'rgb-{s:02d}-{k}', 'salad') for s in subjects for k in (1, 2)]
        for subset, subjects in BENCH_SUBJECTS.items()
    }
    default_test = [v for i, (v, _) in enumerate(spec.videos) if spec.fold_of(i) == 0]
    subsets = {
        'train': [v for i, (v, _) in enumerate(spec.videos) if spec.fold_of(i) != 0],
        'test': default_test + [v for v, _ in extra['test']],
        'val': [v for v, _ in extra['val']],
    }
    return (*spec.videos, *extra['test'], *extra['val']), subsets


def render_video(spec: DemoSetSpec, activity: str, rng: np.random.Generator):
    """One recipe video: ``frames (T, H, W, 3)`` uint8 and its per-frame class names."""
    size = spec.size
    background = make_background(size, size, rng, str(rng.choice(BACKGROUND_STYLES)))
    glyphs = {}  # one writer per video: the same object looks the same throughout
    steps = RECIPES[spec.name](rng, activity)
    pieces, labels = [], []

    def add_background(low: int, high: int) -> None:
        length = int(rng.integers(low, high + 1))
        pieces.append(np.broadcast_to(background, (length, *background.shape)))
        labels.extend([BACKGROUND] * length)

    add_background(*spec.gap_frames)
    for index, (action, digit) in enumerate(steps):
        if index and rng.random() < spec.gap_probability:
            add_background(*spec.gap_frames)
        length = int(rng.integers(spec.action_frames[0], spec.action_frames[1] + 1))
        if digit not in glyphs:
            glyphs[digit] = pick_glyph(digit, rng)
        color = np.clip(np.asarray(OBJECT_COLORS[digit]) + rng.integers(-20, 21, 3), 0, 255)
        track = motion_track(
            glyphs[digit], digit, spec.motions[action], length, size, size, rng, color=color
        )
        pieces.append(render_clip([track], background, length).frames)
        labels.extend([action] * length)
    add_background(*spec.gap_frames)
    return np.concatenate(pieces).astype(np.uint8), labels


def extract_features(extractor: SnippetFeatureExtractor, frames: np.ndarray) -> np.ndarray:
    """``(C, T)`` float32 features of ``frames (T, H, W, 3)`` uint8.

    On one thread: the same bits whatever the machine's core count (parallel reductions
    sum in another order), and no spinning threads on a busy machine.
    """
    clip = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2)[None] / 255.0
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return extractor(clip)[0].numpy().astype(np.float32)
    finally:
        torch.set_num_threads(threads)


def write_demo(
    name: str,
    root: str,
    seed: int = 0,
    overwrite: bool = True,
    preset: str = 'default',
    limit: int | None = None,
) -> str:
    """Write demo set ``name`` into the folder ``root`` (e.g. ``data/demo/50salads``), as
    every demo writer of the project does; returns that folder. ``preset='bench'`` writes
    ``50salads``' benchmark split 1 (``BENCH_SUBJECTS``; the held-out sets are the same in
    both presets); ``limit`` caps its videos per subset (for quick tests)."""
    if name not in SPECS:
        raise ValueError(f'unknown demo action segmentation set {name!r}; known: {DEMO_SETS}')
    if preset not in PRESETS:
        raise ValueError(f'preset must be one of {PRESETS}, got {preset!r}')
    spec = SPECS[name]
    videos, subsets = spec.videos, None
    if preset == 'bench' and name == '50salads':
        videos, subsets = _bench_videos(spec)
        if limit is not None:
            subsets = {subset: names[:limit] for subset, names in subsets.items()}
            kept = {v for names in subsets.values() for v in names}
            videos = tuple(item for item in videos if item[0] in kept)
    out = root
    if osp.exists(out):
        if not overwrite:
            raise FileExistsError(f'{out} exists (pass overwrite=True to replace it)')
        shutil.rmtree(out)
    for sub in ('features', 'groundTruth', 'splits', 'videos'):
        os.makedirs(osp.join(out, sub))
    rng = np.random.default_rng([int(seed), DEMO_SETS.index(name)])
    extractor = SnippetFeatureExtractor()
    index_of = {cls: i for i, cls in enumerate(spec.classes)}
    for video, activity in videos:
        frames, labels = render_video(spec, activity, rng)
        np.save(osp.join(out, 'features', f'{video}.npy'), extract_features(extractor, frames))
        missing = set(labels) - set(index_of)
        assert not missing, f'recipe names classes outside the mapping: {missing}'
        with open(osp.join(out, 'groundTruth', f'{video}.txt'), 'w') as f:
            f.write(''.join(f'{label}\n' for label in labels))
        write_mp4(osp.join(out, 'videos', f'{video}.mp4'), frames, spec.fps, 'mpeg4', quality=3)
    with open(osp.join(out, 'mapping.txt'), 'w') as f:
        f.write(''.join(f'{i} {cls}\n' for i, cls in enumerate(spec.classes)))
    if subsets is not None:
        for subset, names in subsets.items():
            with open(osp.join(out, 'splits', f'{subset}.split1.bundle'), 'w') as f:
                f.write(''.join(f'{v}.txt\n' for v in names))
        return out
    for split in range(spec.num_splits):
        test = [v for i, (v, _) in enumerate(spec.videos) if spec.fold_of(i) == split]
        train = [v for i, (v, _) in enumerate(spec.videos) if spec.fold_of(i) != split]
        for subset, videos in (('train', train), ('test', test)):
            path = osp.join(out, 'splits', f'{subset}.split{split + 1}.bundle')
            with open(path, 'w') as f:
                f.write(''.join(f'{v}.txt\n' for v in videos))
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description='Write the demo action segmentation sets')
    parser.add_argument('--root', default='data/demo', help='parent folder of the sets')
    parser.add_argument('--sets', nargs='+', default=list(DEMO_SETS), choices=DEMO_SETS)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    for name in args.sets:
        start = time.perf_counter()
        out = write_demo(name, osp.join(args.root, name), args.seed)
        size = sum(osp.getsize(osp.join(d, f)) for d, _, fs in os.walk(out) for f in fs)
        print(f'{name}: {out} ({size / 2**20:.1f} MB, {time.perf_counter() - start:.1f} s)')


if __name__ == '__main__':
    main()

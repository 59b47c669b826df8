"""The demo temporal action detection set ``thumos14`` (docs/method.md §3), in THUMOS14's layout.

Untrimmed videos of one handwritten digit: each shot opens with a cut to a new digit
standing still (background), then the digit does one motion (the action instance) until
the next cut. Eight classes (moving left/right/up/down, growing, shrinking, turning either
way), 2-6 s instances between 1-4 s background stretches. Written as ActionFormer reads
THUMOS14: ``annotations/thumos14.json`` and ``features/<vid>.npy`` of shape ``(T, C)``
made by the deterministic :class:`GridMotionExtractor` from the rendered frames; the
frames are kept too, as ``videos/<vid>.mp4``, so video models can see the same samples.
Training videos are ``video_validation_*`` (subset Validation), test videos
``video_test_*`` (subset Test), as in THUMOS14.

    python -m tasks_detection.demo.thumos14 --root data/demo [--seed 0]
"""

from __future__ import annotations

import json
import os
import os.path as osp

import numpy as np
import torch

from dlm_core.demo import DigitTrack, bright_color, make_background, pick_glyph, render_clip
from dlm_core.demo.cli import write_sets_main
from dlm_core.demo.video_writer import write_mp4

from ..models.features.grid_motion_extractor import GridMotionExtractor

#: Class name -> what the digit does (per second: dx, dy in frame widths/heights, growth
#: in frame heights, turn in degrees).
CLASSES = {
    'MoveLeft': (-1, 0, 0, 0),
    'MoveRight': (1, 0, 0, 0),
    'MoveUp': (0, -1, 0, 0),
    'MoveDown': (0, 1, 0, 0),
    'Grow': (0, 0, 1, 0),
    'Shrink': (0, 0, -1, 0),
    'TurnClockwise': (0, 0, 0, -1),
    'TurnCounterClockwise': (0, 0, 0, 1),
}
#: Bump when the set's layout or content changes (make_demo_data rewrites on a new version):
#: 1, its mp4s from the deterministic writer of dlm_core.demo.video_writer.
DEMO_VERSION = 1
FPS = 10.0
SIZE = 48
#: Snippets of NUM_FRAMES frames every FEAT_STRIDE frames (THUMOS14's I3D: 16 and 4 at 30 fps).
NUM_FRAMES, FEAT_STRIDE = 4, 2
FEATURE_EXTRACTOR = dict(
    type='GridMotionExtractor', snippet_len=NUM_FRAMES, stride=FEAT_STRIDE, out_channels=128
)
SPLITS = {'Validation': ('video_validation', 40), 'Test': ('video_test', 16)}
#: The benchmark preset: subset -> (name prefix, stream, first index, videos). The same 40
#: training videos, a test subset of 64 whose first 16 are the default's, and a subset
#: ``HeldOut`` of 24 videos that continue the training stream (``video_validation`` 41-64),
#: the validation split of the benchmark, in the same json.
BENCH_SPLITS = {
    'Validation': ('video_validation', 0, 0, 40),
    'Test': ('video_test', 1, 0, 64),
    'HeldOut': ('video_validation', 0, 40, 24),
}
PRESETS = ('default', 'bench')
DURATION = (20.0, 32.0)
ACTION_SECONDS, BACKGROUND_SECONDS = (2.0, 6.0), (1.0, 4.0)


def _shot_track(rng, start, action_start, stop, label, num_frames):
    """One shot: a new digit still on ``[start, action_start)``, moving until ``stop``."""
    dx, dy, growth, turn = CLASSES[label]
    steps = max(stop - action_start, 1)
    size = rng.uniform(0.3, 0.4) * SIZE
    travel = rng.uniform(0.3, 0.45) * SIZE  # pixels moved by a translation
    margin = 0.5 * size + 1
    # start where the whole motion stays inside the frame
    cx = rng.uniform(margin, SIZE - margin)
    cy = rng.uniform(margin, SIZE - margin)
    if dx:
        cx = rng.uniform(margin, SIZE - margin - travel) + (travel if dx < 0 else 0)
    if dy:
        cy = rng.uniform(margin, SIZE - margin - travel) + (travel if dy < 0 else 0)
    if growth:
        low, high = 0.25 * SIZE, 0.6 * SIZE
        size = high if growth < 0 else low
        cx, cy = rng.uniform(0.4, 0.6) * SIZE, rng.uniform(0.4, 0.6) * SIZE
    progress = np.clip((np.arange(num_frames) - action_start + 1) / steps, 0, 1)
    centers = np.tile([cx, cy], (num_frames, 1)).astype(float)
    centers[:, 0] += dx * travel * progress
    centers[:, 1] += dy * travel * progress
    sizes = np.full(num_frames, size)
    if growth:
        sizes = size + growth * (0.35 * SIZE) * progress
    angles = rng.uniform(-10, 10) + turn * rng.uniform(90, 150) * progress
    alphas = np.zeros(num_frames)
    alphas[start:stop] = 1.0
    digit = int(rng.integers(10))
    glyph = pick_glyph(digit, rng)
    return DigitTrack(digit, glyph, centers, sizes, angles, alphas, bright_color(rng))


def render_video(rng: np.random.Generator):
    """Frames ``(T, H, W, 3)``, the duration and ``[(t0, t1, label)]`` in seconds."""
    duration = float(np.round(rng.uniform(*DURATION), 1))
    num_frames = int(round(duration * FPS))
    names = list(CLASSES)
    tracks, annotations = [], []
    frame = int(round(rng.uniform(*BACKGROUND_SECONDS) * FPS))
    shot_start = 0
    while True:
        length = int(round(rng.uniform(*ACTION_SECONDS) * FPS))
        if frame + length > num_frames:
            break
        label = names[int(rng.integers(len(names)))]
        tracks.append(_shot_track(rng, shot_start, frame, frame + length, label, num_frames))
        annotations.append((frame / FPS, (frame + length) / FPS, label))
        shot_start = frame + length
        frame = shot_start + int(round(rng.uniform(*BACKGROUND_SECONDS) * FPS))
    if shot_start < num_frames:  # the closing background: a digit standing still
        still = _shot_track(rng, shot_start, num_frames, num_frames, 'MoveLeft', num_frames)
        tracks.append(still)
    style = ('noise', 'stripes', 'checker', 'gradient')[int(rng.integers(4))]
    background = make_background(SIZE, SIZE, rng, style, contrast=rng.uniform(0.1, 0.25))
    clip = render_clip(tracks, background, num_frames)
    noise = rng.normal(0, 3, clip.frames.shape)
    frames = np.clip(clip.frames + noise, 0, 255).astype(np.uint8)
    return frames, duration, annotations


def extract_features(frames: np.ndarray, extractor: GridMotionExtractor) -> np.ndarray:
    """``(T, H, W, 3)`` uint8 -> ``(T', C)`` float32, THUMOS14's feature layout."""
    clip = torch.from_numpy(frames).permute(0, 3, 1, 2).float().div(255)[None]
    return extractor(clip)[0].T.numpy().astype(np.float32)


def write_demo(
    name: str, root: str, seed: int = 0, limit: int | None = None, preset: str = 'default'
) -> int:
    """Write demo set ``name`` (``thumos14``) into ``root``; returns the number of videos.
    The same ``seed`` gives identical annotations and features; ``limit`` caps the videos
    per subset (for quick tests); ``preset='bench'`` writes ``BENCH_SPLITS``."""
    if name != 'thumos14':
        raise ValueError(f"demo set must be 'thumos14', got {name!r}")
    if preset not in PRESETS:
        raise ValueError(f'preset must be one of {PRESETS}, got {preset!r}')
    if preset == 'bench':
        splits = BENCH_SPLITS
    else:
        splits = {s: (prefix, i, 0, n) for i, (s, (prefix, n)) in enumerate(SPLITS.items())}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: one thread is fastest, and results are the same
    try:
        return _write(root, seed, limit, splits)
    finally:
        torch.set_num_threads(threads)


def _write(root: str, seed: int, limit: int | None, splits: dict) -> int:
    cfg = dict(FEATURE_EXTRACTOR)
    cfg.pop('type')
    extractor = GridMotionExtractor(**cfg, seed=0)
    for folder in ('annotations', 'features', 'videos'):
        os.makedirs(osp.join(root, folder), exist_ok=True)
    database = {}
    label_ids = {n: i for i, n in enumerate(CLASSES)}
    for subset, (prefix, split_index, first, count) in splits.items():
        count = count if limit is None else min(count, limit)
        for index in range(first, first + count):
            rng = np.random.default_rng([seed, split_index, index])
            vid = f'{prefix}_{index + 1:07d}'
            frames, duration, annotations = render_video(rng)
            np.save(osp.join(root, 'features', vid + '.npy'), extract_features(frames, extractor))
            write_mp4(osp.join(root, 'videos', vid + '.mp4'), frames, FPS, quality=23)
            database[vid] = dict(
                subset=subset,
                duration=duration,
                fps=FPS,
                annotations=[
                    dict(
                        label=label, segment=[round(t0, 2), round(t1, 2)], label_id=label_ids[label]
                    )
                    for t0, t1, label in annotations
                ],
            )
    with open(osp.join(root, 'annotations', 'thumos14.json'), 'w') as f:
        json.dump(dict(version='thumos14-demo', database=database), f, indent=1)
    return len(database)


def main(argv=None) -> None:
    write_sets_main(
        'Write the demo temporal detection set', write_demo, 'videos', ['thumos14'], argv
    )


if __name__ == '__main__':
    main()

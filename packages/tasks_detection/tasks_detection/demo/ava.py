"""The demo spatio-temporal action detection sets ``ava`` and ``ava_kinetics`` (docs/method.md §3).

2-3 handwritten digits (the "people") move on a textured background; every second each
digit picks a new motion. At each keyframe, a digit's box is annotated with the actions it
does in the second around it, multi-label as in AVA: moving left/right/up/down (a diagonal
motion is two of them), growing, shrinking, standing still, and touching another digit
(a person-person interaction: the boxes overlap at the keyframe). Written in the real AVA
v2.2 layout as mmaction2 reads it: ``annotations/ava_{train,val}_v2.2.csv``, the excluded
timestamps CSVs (crowded keyframes: two digits largely on top of each other), the label
map pbtxt, the person proposals pkl ``{"vid,ts": (N, 5)}`` (jittered boxes with
detector-like scores, plus false positives) and ``rawframes/<vid>/img_%05d.jpg`` at 30 fps.

``ava`` holds AVA-style videos (11-character ids, seconds 900-905, keyframes 901-904).
``ava_kinetics`` is the held-out set: other hands and backgrounds, AVA-style videos plus
Kinetics-style 2 s clips ``<id>_<start>_<end>`` with one keyframe each, as in AVA-Kinetics.

    python -m tasks_detection.demo.ava --root data/demo [--seed 0] [--sets ava ava_kinetics]
"""

from __future__ import annotations

import os
import os.path as osp
import pickle
import string
from dataclasses import dataclass

import numpy as np

from dlm_core.demo import DigitTrack, bright_color, make_background, pick_glyph, render_clip
from dlm_core.demo.cli import write_sets_main

from .video_files import write_frame_folder

#: AVA-style label map: id -> name. Ids start at 1 as in AVA (0 is the background class).
ACTIONS = {
    1: 'move left',
    2: 'move right',
    3: 'move up',
    4: 'move down',
    5: 'grow',
    6: 'shrink',
    7: 'stand still',
    8: 'touch another digit',
}
FPS = 30
SIZE = 64
TIMESTAMP_START, TIMESTAMP_END = 900, 905  # AVA-style videos: 5 s, keyframes 901..904
KINETICS_SECONDS = 2  # Kinetics-style clips: one keyframe, 1 s in
SPEED = 0.25 * SIZE  # pixels per second of a translation
GROWTH = 1.6  # size factor per second of growing
CROWDED = 0.4  # a keyframe is excluded when two digits' boxes overlap more (IoU) than this


@dataclass(frozen=True)
class SetSpec:
    """How one demo set is drawn."""

    set_id: int
    writers: slice
    backgrounds: tuple[str, ...]
    ava_videos: tuple[int, int]  # (train, val)
    kinetics_clips: tuple[int, int]  # (train, val)


SPECS = {
    'ava': SetSpec(1, slice(0, 120), ('noise', 'stripes'), (40, 10), (0, 0)),
    'ava_kinetics': SetSpec(2, slice(120, None), ('checker', 'gradient'), (4, 2), (24, 12)),
}
#: The benchmark preset of ``ava`` (AVA-style videos): the same 40 training videos, a test
#: split (``val`` files, as in AVA) of 60 whose first 10 are the default's, and a
#: ``heldout`` validation split of 16 videos that continue the training stream (videos
#: 41-56 of the training distribution), written in the same files' layout.
BENCH_VIDEOS = {'train': 40, 'val': 60, 'heldout': 16}
PRESETS = ('default', 'bench')
#: split -> the random stream its videos are drawn from (``heldout`` continues ``train``)
STREAMS = {'train': (0, 0), 'val': (1, 0), 'heldout': (0, BENCH_VIDEOS['train'])}


def _motion_segments(num_frames: int, keyframes: list[int]) -> list[tuple[int, int]]:
    """One motion per second, each centred on a keyframe (plus the leftovers at the ends)."""
    edges = sorted(
        {0, num_frames, *(k - FPS // 2 for k in keyframes), *(k + FPS // 2 for k in keyframes)}
    )
    edges = [e for e in edges if 0 <= e <= num_frames]
    return list(zip(edges[:-1], edges[1:]))


def _digit_track(rng, glyph, digit, num_frames, segments, instance_id):
    """Piecewise-constant motion: per segment a velocity (dx, dy) and a growth rate, chosen
    among those that keep the digit inside the frame."""
    size = rng.uniform(0.24, 0.32) * SIZE
    center = rng.uniform(0.3, 0.7, 2) * SIZE
    centers, sizes, motions = np.zeros((num_frames, 2)), np.zeros(num_frames), []
    for start, stop in segments:
        seconds = (stop - start) / FPS
        travel = SPEED * seconds
        margin = 0.5 * size + 1
        options_x = [d for d in (-1, 0, 1) if margin <= center[0] + d * travel <= SIZE - margin]
        options_y = [d for d in (-1, 0, 1) if margin <= center[1] + d * travel <= SIZE - margin]
        dx, dy = int(rng.choice(options_x)), int(rng.choice(options_y))
        growth = int(rng.choice([-1, 0, 0, 1]))
        end_size = size * GROWTH ** (growth * seconds)
        if not 0.2 * SIZE <= end_size <= 0.45 * SIZE:
            growth, end_size = 0, size
        step = np.arange(1, stop - start + 1) / (stop - start)
        centers[start:stop] = center + np.outer(step, [dx * travel, dy * travel])
        sizes[start:stop] = size * (end_size / size) ** step
        center, size = centers[stop - 1].copy(), sizes[stop - 1]
        motions.append((dx, dy, growth))
    angles = np.full(num_frames, rng.uniform(-10, 10))
    track = DigitTrack(
        digit, glyph, centers, sizes, angles, np.ones(num_frames), bright_color(rng), instance_id
    )
    return track, motions


def _actions(motion, touching: bool) -> list[int]:
    dx, dy, growth = motion
    actions = [a for a, on in ((1, dx < 0), (2, dx > 0), (3, dy < 0), (4, dy > 0)) if on]
    actions += [a for a, on in ((5, growth > 0), (6, growth < 0)) if on]
    if not actions:
        actions.append(7)
    if touching:
        actions.append(8)
    return actions


def _overlap(a, b) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def _iou(a, b) -> float:
    inter = max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union


def render_video(rng, spec: SetSpec, num_frames: int, keyframes: list[int]):
    """Frames and, per keyframe, ``[(box_xyxy_in_[0,1], actions, person_id)]`` and
    whether the keyframe is excluded."""
    segments = _motion_segments(num_frames, keyframes)
    tracks, motions = [], []
    for instance in range(int(rng.integers(2, 4))):
        digit = int(rng.integers(10))
        glyph = pick_glyph(digit, rng, spec.writers)
        track, track_motions = _digit_track(rng, glyph, digit, num_frames, segments, instance)
        tracks.append(track)
        motions.append(track_motions)
    style = spec.backgrounds[int(rng.integers(len(spec.backgrounds)))]
    background = make_background(SIZE, SIZE, rng, style, contrast=rng.uniform(0.1, 0.25))
    clip = render_clip(tracks, background, num_frames)
    frames = np.clip(clip.frames + rng.normal(0, 3, clip.frames.shape), 0, 255).astype(np.uint8)
    labels = []
    for key in keyframes:
        segment = next(i for i, (a, b) in enumerate(segments) if a <= key < b)
        boxes = clip.boxes[key]
        excluded = False
        people = []
        for k in range(len(tracks)):
            if not clip.visible[key, k]:
                excluded = True
                continue
            box = boxes[k]
            excluded |= any(_iou(box, boxes[j]) > CROWDED for j in range(k) if clip.visible[key, j])
            touching = any(
                _overlap(box, boxes[j])
                for j in range(len(tracks))
                if j != k and clip.visible[key, j]
            )
            people.append((box / SIZE, _actions(motions[k][segment], touching), k))
        labels.append((people, excluded))
    return frames, labels


def _video_id(rng) -> str:
    alphabet = string.ascii_letters + string.digits + '-'
    return ''.join(alphabet[i] for i in rng.integers(len(alphabet), size=11))


def _proposals(rng, people) -> np.ndarray:
    """Detector-like person boxes: each true box jittered (score 0.92-1), plus false ones."""
    rows = []
    for box, _, _ in people:
        w, h = box[2] - box[0], box[3] - box[1]
        jitter = rng.uniform(-0.05, 0.05, 4) * np.array([w, h, w, h])
        rows.append([*np.clip(box + jitter, 0, 1), rng.uniform(0.92, 1.0)])
    for _ in range(int(rng.integers(0, 2))):
        x1, y1 = rng.uniform(0, 0.7, 2)
        side = rng.uniform(0.15, 0.3)
        rows.append([x1, y1, min(1, x1 + side), min(1, y1 + side), rng.uniform(0.2, 0.85)])
    return np.asarray(rows, dtype=np.float32)


def _label_map() -> str:
    return ''.join(f'item {{\n  name: "{name}"\n  id: {i}\n}}\n' for i, name in ACTIONS.items())


def write_demo(
    name: str, root: str, seed: int = 0, limit: int | None = None, preset: str = 'default'
) -> int:
    """Write demo set ``name`` (``ava`` or ``ava_kinetics``) into ``root``; returns the
    number of annotated keyframes. The same ``seed`` gives identical files; ``limit`` caps
    the videos (and clips) per split (for quick tests); ``preset='bench'`` writes ``ava``'s
    benchmark splits (``BENCH_VIDEOS``; ``ava_kinetics`` is the same in both presets)."""
    if name not in SPECS:
        raise ValueError(f'demo set must be one of {sorted(SPECS)}, got {name!r}')
    if preset not in PRESETS:
        raise ValueError(f'preset must be one of {PRESETS}, got {preset!r}')
    spec = SPECS[name]
    annotations = osp.join(root, 'annotations')
    os.makedirs(annotations, exist_ok=True)
    with open(osp.join(annotations, 'ava_action_list_v2.2_for_activitynet_2019.pbtxt'), 'w') as f:
        f.write(_label_map())
    if preset == 'bench' and name == 'ava':
        splits = {split: ((count, 0), STREAMS[split]) for split, count in BENCH_VIDEOS.items()}
    else:
        splits = {
            split: ((spec.ava_videos[i], spec.kinetics_clips[i]), (i, 0))
            for i, split in enumerate(('train', 'val'))
        }
    total = 0
    for split, (counts, (split_index, first)) in splits.items():
        rows, excluded, proposals = [], [], {}
        videos = []
        for kind, count in zip(('ava', 'kinetics'), counts):
            count = count if limit is None else min(count, limit)
            videos.extend((kind, first + index) for index in range(count))
        for kind, index in videos:
            rng = np.random.default_rng([seed, spec.set_id, split_index, kind == 'kinetics', index])
            if kind == 'ava':
                video_id = _video_id(rng)
                num_frames = (TIMESTAMP_END - TIMESTAMP_START) * FPS
                stamps = list(range(TIMESTAMP_START + 1, TIMESTAMP_END))
                keyframes = [(s - TIMESTAMP_START) * FPS for s in stamps]
                proposal_id = video_id
            else:
                proposal_id = _video_id(rng)
                start = int(rng.integers(0, 290))
                video_id = f'{proposal_id}_{start:06d}_{start + KINETICS_SECONDS:06d}'
                num_frames = KINETICS_SECONDS * FPS
                stamps, keyframes = [start + 1], [FPS]
            frames, labels = render_video(rng, spec, num_frames, keyframes)
            write_frame_folder(osp.join(root, 'rawframes', video_id), frames)
            for stamp, (people, is_excluded) in zip(stamps, labels):
                for box, actions, person in people:
                    x1, y1, x2, y2 = (f'{v:.3f}' for v in box)
                    rows.extend(
                        f'{video_id},{stamp:04d},{x1},{y1},{x2},{y2},{a},{person}' for a in actions
                    )
                if is_excluded:
                    excluded.append(f'{video_id},{stamp:04d}')
                proposals[f'{proposal_id},{stamp:04d}'] = _proposals(rng, people)
                total += 1
        with open(osp.join(annotations, f'ava_{split}_v2.2.csv'), 'w') as f:
            f.write(''.join(r + '\n' for r in rows))
        with open(osp.join(annotations, f'ava_{split}_excluded_timestamps_v2.2.csv'), 'w') as f:
            f.write(''.join(r + '\n' for r in excluded))
        name_pkl = f'ava_dense_proposals_{split}.FAIR.recall_93.9.pkl'
        with open(osp.join(annotations, name_pkl), 'wb') as f:
            pickle.dump(proposals, f, protocol=4)
    return total


def main(argv=None) -> None:
    description = 'Write the demo spatio-temporal detection sets'
    write_sets_main(description, write_demo, 'keyframes', list(SPECS), argv)


if __name__ == '__main__':
    main()

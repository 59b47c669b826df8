"""The demo action recognition sets ``ssv2``, ``ucf101`` and ``hmdb51`` (docs/method.md §3).

Each clip is 16 frames of one handwritten digit doing one motion template on a textured
background, written as a real H.264 mp4 file; the list files and annotation files follow
the real datasets' layouts as mmaction2 reads them. The three sets differ in distribution:
the held-out ``ucf101`` and ``hmdb51`` are written by other hands (other digit samples),
on other backgrounds, at another frame size and rate, with a subset of SSv2's classes plus
one class of their own (the correspondence is :mod:`tasks_recognition.demo.classes`, and is
written beside each held-out set as ``class_correspondence.json``).

    python -m tasks_recognition.demo.action_recognition --root data/demo [--seed 0]
"""

from __future__ import annotations

import json
import os
import os.path as osp
from dataclasses import dataclass

import numpy as np

from dlm_core.demo import make_background, motion_track, pick_glyph, render_clip
from dlm_core.demo.cli import write_sets_main
from dlm_core.demo.video_writer import write_mp4

from .classes import DEMO_CLASSES, class_names, correspondence, label_correspondence

NUM_FRAMES = 16


@dataclass(frozen=True)
class SetSpec:
    """How one demo set is drawn: its own hands, backgrounds, frame size and rate."""

    set_id: int
    width: int
    height: int
    fps: float
    writers: slice
    backgrounds: tuple[str, ...]
    contrast: tuple[float, float]
    digits: tuple[int, ...]


SPECS = {
    'ssv2': SetSpec(
        set_id=1,
        width=64,
        height=64,
        fps=12.0,
        writers=slice(0, 120),
        backgrounds=('noise', 'stripes'),
        contrast=(0.15, 0.3),
        digits=tuple(range(10)),
    ),
    'ucf101': SetSpec(
        set_id=2,
        width=80,
        height=64,
        fps=25.0,
        writers=slice(120, 150),
        backgrounds=('checker', 'gradient'),
        contrast=(0.2, 0.35),
        digits=(0, 2, 3, 5, 7, 8),
    ),
    'hmdb51': SetSpec(
        set_id=3,
        width=80,
        height=64,
        fps=30.0,
        writers=slice(150, None),
        backgrounds=('plain', 'gradient'),
        contrast=(0.1, 0.25),
        digits=(1, 4, 6, 9),
    ),
}

#: Clips per class: SSv2 (train, val); UCF101 groups x clips per group; HMDB51 clips.
SSV2_CLIPS = (60, 20)
#: The benchmark preset of SSv2 (clips per class): the same training clips, a test split of
#: 160 (its first 20 are the default test clips) and 40 held-out training-distribution clips
#: for validation (``sthv2_heldout_list_videos.txt``), each clip drawn once from its index.
SSV2_BENCH_CLIPS = {'train': 60, 'val': 160, 'heldout': 40}
PRESETS = ('default', 'bench')
UCF101_GROUPS, UCF101_CLIPS_PER_GROUP = 25, 2
HMDB51_CLIPS = 30
NUM_SPLITS = 3


def render_demo_clip(name: str, motion: str, seed: int, index: int) -> np.ndarray:
    """The ``(T, H, W, 3)`` frames of clip ``index`` of set ``name``: a pure function of its
    arguments, so any clip can be drawn again on its own."""
    spec = SPECS[name]
    rng = np.random.default_rng(np.random.SeedSequence([seed, spec.set_id, index]))
    digit = int(rng.choice(spec.digits))
    glyph = pick_glyph(digit, rng, spec.writers)
    style = str(rng.choice(spec.backgrounds))
    background = make_background(
        spec.height, spec.width, rng, style, contrast=float(rng.uniform(*spec.contrast))
    )
    track = motion_track(glyph, digit, motion, NUM_FRAMES, spec.height, spec.width, rng)
    return render_clip([track], background, NUM_FRAMES).frames


def _write_lines(path: str, lines: list[str]) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(''.join(f'{line}\n' for line in lines))


def _write_json(path: str, payload) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(payload, f, indent=2)
        f.write('\n')


def _write_correspondence(name: str, root: str) -> None:
    _write_json(
        osp.join(root, 'class_correspondence.json'),
        dict(
            reference='ssv2',
            classes=correspondence(name),
            labels={str(k): v for k, v in label_correspondence(name).items()},
            note='class of this set -> SSv2 demo class with the same motion (null: not in SSv2)',
        ),
    )


def _write_ssv2(root: str, seed: int, sizes: dict | None = None) -> int:
    """``sizes``: clips per class of each split, in drawing order (default ``SSV2_CLIPS``);
    a split's clips continue the index of the one before, so a larger split starts with
    the clips of the smaller one only where the splits before it are unchanged."""
    classes = DEMO_CLASSES['ssv2']
    annotations = osp.join(root, 'annotations')
    _write_json(
        osp.join(annotations, 'something-something-v2-labels.json'),
        {cls: str(label) for label, (cls, _) in enumerate(classes)},
    )
    index = 0
    for split, per_class in (sizes or dict(zip(('train', 'val'), SSV2_CLIPS))).items():
        lines, records = [], []
        for _ in range(per_class):
            for label, (cls, motion) in enumerate(classes):
                index += 1
                frames = render_demo_clip('ssv2', motion, seed, index)
                write_mp4(osp.join(root, 'videos', f'{index}.mp4'), frames, SPECS['ssv2'].fps)
                lines.append(f'{index}.mp4 {label}')
                obj = 'a handwritten digit'
                records.append(
                    dict(
                        id=str(index),
                        label=cls.replace('something', obj, 1).lower(),
                        template=cls.replace('something', '[something]', 1),
                        placeholders=[obj],
                    )
                )
        _write_lines(osp.join(root, f'sthv2_{split}_list_videos.txt'), lines)
        json_name = {'train': 'train', 'val': 'validation'}.get(split, split)
        _write_json(osp.join(annotations, f'something-something-v2-{json_name}.json'), records)
    return index


def _write_ucf101(root: str, seed: int) -> int:
    classes = DEMO_CLASSES['ucf101']
    clips = []  # (relpath, label, group)
    index = 0
    for label, (cls, motion) in enumerate(classes):
        for group in range(1, UCF101_GROUPS + 1):
            for clip in range(1, UCF101_CLIPS_PER_GROUP + 1):
                index += 1
                relpath = f'{cls}/v_{cls}_g{group:02d}_c{clip:02d}.mp4'
                frames = render_demo_clip('ucf101', motion, seed, index)
                write_mp4(osp.join(root, 'videos', relpath), frames, SPECS['ucf101'].fps)
                clips.append((relpath, label, group))
    # UCF101's three splits hold out groups 1-7, 8-14 and 15-21 for testing
    for split in range(1, NUM_SPLITS + 1):
        test_groups = range(7 * (split - 1) + 1, 7 * split + 1)
        for subset, in_test in (('train', False), ('val', True)):
            _write_lines(
                osp.join(root, f'ucf101_{subset}_split_{split}_videos.txt'),
                [f'{p} {lb}' for p, lb, g in clips if (g in test_groups) == in_test],
            )
    _write_lines(
        osp.join(root, 'annotations', 'classInd.txt'),
        [f'{label + 1} {cls}' for label, cls in enumerate(class_names('ucf101'))],
    )
    _write_correspondence('ucf101', root)
    return index


def _write_hmdb51(root: str, seed: int) -> int:
    classes = DEMO_CLASSES['hmdb51']
    clips = []  # (relpath, label, number within class)
    index = 0
    for label, (cls, motion) in enumerate(classes):
        for number in range(HMDB51_CLIPS):
            index += 1
            relpath = f'{cls}/{cls}_demo_{number:03d}.mp4'
            frames = render_demo_clip('hmdb51', motion, seed, index)
            write_mp4(osp.join(root, 'videos', relpath), frames, SPECS['hmdb51'].fps)
            clips.append((relpath, label, number))
    # HMDB51's splits are 70/30 per class; each split tests another 30 %
    for split in range(1, NUM_SPLITS + 1):
        for subset, in_test in (('train', False), ('val', True)):
            _write_lines(
                osp.join(root, f'hmdb51_{subset}_split_{split}_videos.txt'),
                [f'{p} {lb}' for p, lb, n in clips if ((n + 3 * (split - 1)) % 10 < 3) == in_test],
            )
    _write_lines(osp.join(root, 'annotations', 'classes.txt'), class_names('hmdb51'))
    _write_correspondence('hmdb51', root)
    return index


WRITERS = {'ssv2': _write_ssv2, 'ucf101': _write_ucf101, 'hmdb51': _write_hmdb51}


def write_demo(
    name: str, root: str, seed: int = 0, preset: str = 'default', limit: int | None = None
) -> int:
    """Write demo set ``name`` (``ssv2``, ``ucf101`` or ``hmdb51``) under ``root``; returns
    the number of clips. The same ``seed`` gives byte-identical files. ``preset='bench'``
    writes SSv2's benchmark splits (``SSV2_BENCH_CLIPS``; the held-out sets are the same in
    both presets); ``limit`` caps the SSv2 clips per class and split (for quick tests)."""
    if name not in WRITERS:
        raise ValueError(f'demo set must be one of {sorted(WRITERS)}, got {name!r}')
    if preset not in PRESETS:
        raise ValueError(f'preset must be one of {PRESETS}, got {preset!r}')
    os.makedirs(root, exist_ok=True)
    if name != 'ssv2':
        return WRITERS[name](root, seed)
    sizes = SSV2_BENCH_CLIPS if preset == 'bench' else dict(zip(('train', 'val'), SSV2_CLIPS))
    if limit is not None:
        sizes = {split: min(count, limit) for split, count in sizes.items()}
    return _write_ssv2(root, seed, sizes)


def main(argv=None) -> None:
    write_sets_main(
        'Write the demo action recognition sets', write_demo, 'clips', list(WRITERS), argv
    )


if __name__ == '__main__':
    main()

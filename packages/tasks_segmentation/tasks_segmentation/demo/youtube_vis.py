"""The ``youtube_vis`` demo set: moving digits with per-frame instance masks, in the real
YouTube-VIS 2019 layout (docs/method.md §3, §6).

``<root>/youtube_vis/{train,valid,pretrain}.json`` (official json: every frame in
``file_names``, one RLE or ``null`` per frame in ``segmentations``) and
``{train,valid,pretrain}/JPEGImages/<video>/<frame>.jpg``. 1-3 handwritten digits per video
doing one motion template each, the class is the digit, masks are the visible pixels after
occlusion. Deterministic from ``seed``.

python -m tasks_segmentation.demo.youtube_vis --root data/demo [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import os
import os.path as osp
import shutil
import time

import cv2
import numpy as np

from dlm_core.demo import MOTIONS, motion_track, pick_glyph, random_background, render_clip
from dlm_core.demo.splits import check_split_names, write_bench_splits

NAME = 'youtube_vis'
#: Category names, one per digit; the category id is ``digit + 1`` (ids start at 1).
CLASSES = tuple(str(digit) for digit in range(10))
#: ``{split: (videos, seed offset)}``. ``pretrain`` stands in for the COCO checkpoint that
#: real VIS models start from: scenes for the backbone's instance-classification pretraining
#: (``BackboneInstancePretrainHook``), never read by the VIS model's own training or test.
SPLITS = {'train': (200, 0), 'valid': (24, 1), 'pretrain': (1600, 2)}
#: The benchmark preset: ``{split: (videos, held out)}``. The same training and pretraining
#: videos, a test split (``valid``, as in YouTube-VIS) of 360 whose first 24 are the
#: default's, and 48 videos that continue the training stream, held out as the validation
#: split (``train_heldout.json``, frames under ``train/JPEGImages``).
BENCH_SPLITS = {'train': (200, 48), 'valid': (360, 0), 'pretrain': (1600, 0)}
PRESETS = ('default', 'bench')
#: Written into the set's completion marker: a set of an older layout is written again.
DEMO_VERSION = 2
HEIGHT, WIDTH = 96, 96
MIN_FRAMES, MAX_FRAMES = 4, 7
MAX_DIGITS = 3
#: Side of a digit, as a fraction of the frame: large enough that the 8x8 handwriting keeps
#: its shape after a ResNet stem (stride 4).
SIZE_RANGE = (0.32, 0.45)
#: No turning: the class is the digit, and a 6 turned by 120 degrees reads as a 9.
VIS_MOTIONS = tuple(m for m in MOTIONS if not m.startswith('turn'))
JPEG_QUALITY = 90


def rle_encode(mask: np.ndarray) -> dict:
    """Uncompressed RLE ``{"size": [h, w], "counts": [...]}`` as the official json stores it:
    run lengths in column-major order, starting with a (possibly empty) run of zeros."""
    flat = np.asarray(mask, bool).flatten(order='F')
    changes = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate([[0], changes, [flat.size]])
    counts = np.diff(bounds).tolist()
    if flat.size and flat[0]:
        counts = [0] + counts
    return dict(size=list(mask.shape), counts=counts)


def _video(rng: np.random.Generator, index: int) -> tuple[dict, np.ndarray, list]:
    """One video: its json record, its frames and its instance tracks."""
    num_frames = int(rng.integers(MIN_FRAMES, MAX_FRAMES + 1))
    num_digits = int(rng.integers(1, MAX_DIGITS + 1))
    background = random_background(HEIGHT, WIDTH, rng)
    tracks = []
    # one column per digit, so that digits cross and occlude while moving, not all along
    columns = rng.permutation(num_digits)
    for k in range(num_digits):
        digit = int(rng.integers(10))
        x = (columns[k] + 0.5) / num_digits + rng.uniform(-0.05, 0.05)
        center = (np.clip(x, 0.2, 0.8) * WIDTH, rng.uniform(0.3, 0.7) * HEIGHT)
        tracks.append(
            motion_track(
                pick_glyph(digit, rng),
                digit,
                VIS_MOTIONS[int(rng.integers(len(VIS_MOTIONS)))],
                num_frames,
                HEIGHT,
                WIDTH,
                rng,
                size=rng.uniform(*SIZE_RANGE) * min(HEIGHT, WIDTH),
                center=center,
                instance_id=k,
            )
        )
    clip = render_clip(tracks, background, num_frames)
    name = rng.bytes(5).hex()  # YouTube-VIS names videos by 10 hex digits
    video = dict(
        id=index + 1,
        width=WIDTH,
        height=HEIGHT,
        length=num_frames,
        file_names=[f'{name}/{t:05d}.jpg' for t in range(num_frames)],
        license=1,
        flickr_url='',
        coco_url='',
        date_captured='',
    )
    annotations = []
    for k, track in enumerate(tracks):
        if not clip.visible[:, k].any():  # hidden behind later digits all along
            continue
        segmentations, bboxes, areas = [], [], []
        for t in range(num_frames):
            if not clip.visible[t, k]:
                segmentations.append(None)
                bboxes.append(None)
                areas.append(None)
                continue
            x1, y1, x2, y2 = (float(v) for v in clip.boxes[t, k])
            segmentations.append(rle_encode(clip.masks[t, k]))
            bboxes.append([x1, y1, x2 - x1, y2 - y1])
            areas.append(int(clip.masks[t, k].sum()))
        annotations.append(
            dict(
                video_id=video['id'],
                category_id=track.digit + 1,
                segmentations=segmentations,
                bboxes=bboxes,
                areas=areas,
                iscrowd=0,
                width=WIDTH,
                height=HEIGHT,
                length=1,  # sic: the official files store 1 here; the video has "length"
            )
        )
    return video, clip.frames, annotations


def write_split(
    root: str, split: str, seed: int, num_videos: int | None = None, held_out: int = 0
) -> str:
    """Write ``<root>/<split>.json`` and its frames; returns the json path. ``held_out``
    more videos of the same stream go to ``<split>_heldout.json`` (frames beside the
    split's own)."""
    default_videos, offset = SPLITS[split]
    num_videos = default_videos if num_videos is None else int(num_videos)
    rng = np.random.default_rng([seed, offset])
    shutil.rmtree(osp.join(root, split), ignore_errors=True)  # no stale frames of other seeds
    videos, annotations = [], []
    split_json = None
    for index in range(num_videos + held_out):
        if index == num_videos:  # the held-out videos: a json of their own, ids from 1
            split_json = _write_json(root, split, split, seed, videos, annotations)
            videos, annotations = [], []
        video, frames, anns = _video(rng, len(videos))
        folder = osp.join(root, split, 'JPEGImages')
        for file_name, frame in zip(video['file_names'], frames):
            path = osp.join(folder, file_name)
            os.makedirs(osp.dirname(path), exist_ok=True)
            ok, data = cv2.imencode(
                '.jpg', frame[..., ::-1], [int(cv2.IMWRITE_JPEG_QUALITY), JPEG_QUALITY]
            )
            if not ok:
                raise RuntimeError(f'could not encode {path} as jpg')
            with open(path, 'wb') as file:
                file.write(data.tobytes())
        videos.append(video)
        for ann in anns:
            annotations.append(dict(ann, id=len(annotations) + 1))
    if split_json is None:
        return _write_json(root, split, split, seed, videos, annotations)
    _write_json(root, f'{split}_heldout', split, seed, videos, annotations)
    return split_json


def _write_json(root: str, stem: str, split: str, seed: int, videos, annotations) -> str:
    categories = [
        dict(supercategory='digit', id=i + 1, name=name) for i, name in enumerate(CLASSES)
    ]
    data = dict(
        info=dict(description=f'DLM-VMTL demo youtube_vis {split} (seed {seed})', version='2019'),
        licenses=[dict(id=1, name='scikit-learn digits (BSD-3-Clause)', url='')],
        videos=videos,
        annotations=annotations,
        categories=categories,
    )
    path = osp.join(root, f'{stem}.json')
    with open(path, 'w') as file:
        json.dump(data, file, separators=(',', ':'))
    return path


def write_demo(
    name: str,
    root: str,
    seed: int = 0,
    num_videos: dict | None = None,
    preset: str = 'default',
    limit: int | None = None,
) -> str:
    """Write demo set ``name`` into the folder ``root`` (``data/demo/youtube_vis``); returns
    ``root``. The same ``seed`` gives byte-identical files; ``num_videos``
    (``{split: count}``) makes a smaller set, for tests: the splits it leaves out are
    written without videos. ``preset='bench'`` writes ``BENCH_SPLITS``, each count capped
    at ``limit`` (for tests)."""
    if name != NAME:
        raise ValueError(
            f'tasks_segmentation.demo.youtube_vis writes the demo set {NAME!r}, not {name!r}'
        )
    if preset not in PRESETS:
        raise ValueError(f'preset must be one of {PRESETS}, got {preset!r}')
    if preset == 'bench':
        os.makedirs(root, exist_ok=True)
        write_bench_splits(write_split, root, seed, BENCH_SPLITS, limit)
        return root
    check_split_names(num_videos, SPLITS)
    os.makedirs(root, exist_ok=True)
    for split in SPLITS:
        count = None if num_videos is None else num_videos.get(split, 0)
        write_split(root, split, seed, count)
    return root


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=f'Write the {NAME} demo set')
    parser.add_argument('--root', default='data/demo', help='parent folder of the demo sets')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    start = time.time()
    folder = write_demo(NAME, osp.join(args.root, NAME), args.seed)
    print(f'{NAME}: {folder} ({time.time() - start:.1f} s)')


if __name__ == '__main__':
    main()

"""The ``imagenet_vid`` demo set: moving digits with boxes and instance ids per frame, in the
CocoVID layout that mmtracking / mmdet write for ImageNet VID (docs/method.md §3, §6).

``<folder>/annotations/imagenet_vid_{train,val}.json`` (``categories``, ``videos``, ``images``
with ``frame_id`` / ``video_id``, ``annotations`` with ``instance_id`` and ``bbox [x, y, w,
h]``) and frames ``<folder>/Data/VID/{train,val}/<video>/<frame:06d>.JPEG``; ``file_name`` is
relative to ``Data/VID`` as in the real set. 1-3 handwritten digits per video, each doing one
motion template; the class is the digit (category id ``digit + 1``); a box is the visible
mask's extent after occlusion, so a hidden digit has no annotation in that frame.
Deterministic from ``seed``.

python -m tasks_detection.demo.imagenet_vid --root data/demo [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import os
import os.path as osp

import cv2
import numpy as np

from dlm_core.demo import MOTIONS, motion_track, pick_glyph, random_background, render_clip
from dlm_core.demo.splits import check_split_names, write_bench_splits

NAME = 'imagenet_vid'
#: Category names, one per digit; the category id is ``digit + 1`` (ids start at 1).
CLASSES = tuple(str(digit) for digit in range(10))
#: ``{split: (videos, seed offset)}``.
SPLITS = {'train': (64, 0), 'val': (16, 1)}
#: The benchmark preset: ``{split: (videos, held out)}``. The same 64 training videos, a
#: test split (``val``, as in ImageNet VID) of 80 whose first 16 are the default's, and 24
#: videos that continue the training stream, held out as the validation split
#: (``annotations/imagenet_vid_train_heldout.json``, frames under ``Data/VID/train``).
BENCH_SPLITS = {'train': (64, 24), 'val': (80, 0)}
PRESETS = ('default', 'bench')
HEIGHT, WIDTH = 64, 64
MIN_FRAMES, MAX_FRAMES = 6, 10
MAX_DIGITS = 3
JPEG_QUALITY = 90
#: Minimum box side in pixels (smaller boxes are dropped, as tiny slivers behind occluders).
MIN_BOX_SIDE = 2.0


def ann_file(split: str) -> str:
    """The annotation json of ``split``, relative to the set's folder."""
    return f'annotations/imagenet_vid_{split}.json'


def _tracks(rng: np.random.Generator, num_frames: int) -> list:
    tracks = []
    for k in range(int(rng.integers(1, MAX_DIGITS + 1))):
        digit = int(rng.integers(10))
        center = (rng.uniform(0.25, 0.75) * WIDTH, rng.uniform(0.25, 0.75) * HEIGHT)
        tracks.append(
            motion_track(
                pick_glyph(digit, rng),
                digit,
                MOTIONS[int(rng.integers(len(MOTIONS)))],
                num_frames,
                HEIGHT,
                WIDTH,
                rng,
                size=rng.uniform(0.32, 0.48) * min(HEIGHT, WIDTH),
                center=center,
                instance_id=k,
            )
        )
    return tracks


def _write_jpeg(path: str, frame: np.ndarray) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    ok, data = cv2.imencode('.jpg', frame[..., ::-1], [int(cv2.IMWRITE_JPEG_QUALITY), JPEG_QUALITY])
    if not ok:
        raise RuntimeError(f'could not encode {path} as jpg')
    with open(path, 'wb') as file:
        file.write(data.tobytes())


def write_split(
    folder: str, split: str, seed: int, num_videos: int | None = None, held_out: int = 0
) -> str:
    """Write ``split``'s frames and annotation json into ``folder``; returns the json path.
    ``held_out`` more videos of the same stream go to ``<split>_heldout.json`` instead."""
    default_videos, offset = SPLITS[split]
    num_videos = default_videos if num_videos is None else int(num_videos)
    rng = np.random.default_rng([seed, offset])
    videos, images, annotations = [], [], []
    next_instance = 1
    split_json = None
    for v in range(num_videos + held_out):
        if v == num_videos:  # the held-out videos: a json of their own, ids from 1
            split_json = _write_json(folder, split, videos, images, annotations)
            videos, images, annotations = [], [], []
            next_instance = 1
        num_frames = int(rng.integers(MIN_FRAMES, MAX_FRAMES + 1))
        background = random_background(HEIGHT, WIDTH, rng)
        tracks = _tracks(rng, num_frames)
        clip = render_clip(tracks, background, num_frames)
        name = f'ILSVRC2015_VID_{split}_0000/ILSVRC2015_{split}_{v:08d}'
        video_id = len(videos) + 1
        videos.append(dict(id=video_id, name=name))
        instance_ids = list(range(next_instance, next_instance + len(tracks)))
        next_instance += len(tracks)
        for t in range(num_frames):
            file_name = f'{split}/{name}/{t:06d}.JPEG'
            _write_jpeg(osp.join(folder, 'Data', 'VID', file_name), clip.frames[t])
            image_id = len(images) + 1
            images.append(
                dict(
                    id=image_id,
                    file_name=file_name,
                    height=HEIGHT,
                    width=WIDTH,
                    frame_id=t,
                    video_id=video_id,
                    is_vid_train_frame=True,
                )
            )
            for k, track in enumerate(tracks):
                if not clip.visible[t, k]:
                    continue
                x1, y1, x2, y2 = (float(value) for value in clip.boxes[t, k])
                if min(x2 - x1, y2 - y1) < MIN_BOX_SIDE:
                    continue
                annotations.append(
                    dict(
                        id=len(annotations) + 1,
                        video_id=video_id,
                        image_id=image_id,
                        category_id=track.digit + 1,
                        instance_id=instance_ids[k],
                        bbox=[x1, y1, x2 - x1, y2 - y1],
                        area=(x2 - x1) * (y2 - y1),
                        iscrowd=False,
                        occluded=False,
                        generated=False,
                    )
                )
    if split_json is None:
        return _write_json(folder, split, videos, images, annotations)
    _write_json(folder, f'{split}_heldout', videos, images, annotations)
    return split_json


def _write_json(folder: str, stem: str, videos: list, images: list, annotations: list) -> str:
    categories = [
        dict(id=i + 1, name=name, encode_name=f'digit_{name}') for i, name in enumerate(CLASSES)
    ]
    data = dict(categories=categories, videos=videos, images=images, annotations=annotations)
    path = osp.join(folder, ann_file(stem))
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as file:
        json.dump(data, file, separators=(',', ':'))
    return path


def write_demo(
    name: str,
    folder: str,
    seed: int = 0,
    num_videos: dict | None = None,
    preset: str = 'default',
    limit: int | None = None,
) -> str:
    """Write demo set ``name`` into ``folder`` (the set's own folder); returns it.

    ``num_videos`` (``{split: count}``) makes a smaller set, for tests. ``preset='bench'``
    writes ``BENCH_SPLITS``, each count capped at ``limit`` (for tests).
    """
    if preset not in PRESETS:
        raise ValueError(f'preset must be one of {PRESETS}, got {preset!r}')
    if preset == 'bench':
        write_bench_splits(write_split, folder, seed, BENCH_SPLITS, limit)
        return folder
    if name != NAME:
        raise ValueError(
            f'tasks_detection.demo.imagenet_vid writes the demo set {NAME!r}, not {name!r}'
        )
    check_split_names(num_videos, SPLITS)
    for split in SPLITS:
        write_split(folder, split, seed, (num_videos or {}).get(split))
    return folder


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=f'Write the {NAME} demo set into ROOT/{NAME}')
    parser.add_argument('--root', default='data/demo', help='folder of the demo sets')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    print(write_demo(NAME, osp.join(args.root, NAME), args.seed))


if __name__ == '__main__':
    main()

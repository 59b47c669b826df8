"""Pretrain a video object detector's backbone on naming the digit in each box.

TransVOD, like every DETR detector, starts from an ImageNet / COCO backbone. The demo's 64
ImageNet VID training videos hold a few hundred distinct handwritten digits, too few for a
detector trained from scratch to learn the class (AP50 about 10 while the boxes are found).
This hook is the demo's stand-in for that checkpoint: before training it renders separate
scenes like the set's frames (1-3 moving digits on the demo backgrounds, JPEG round trip),
from their own random stream (``[seed, PRETRAIN_STREAM, scene]``; the set's splits draw from
``[seed, 0]`` and ``[seed, 1]``), and fits the backbone to name the digit from its features
average-pooled inside each box, then hands the backbone back to the run (frozen if the config
freezes it). The pooling and the fit loop are dlm_core's ``BackbonePretrainHook``.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

from dlm_core.demo import MOTIONS, motion_track, pick_glyph, random_background, render_clip
from dlm_core.hooks.backbone_pretrain import BackbonePretrainHook

from ..registry import HOOKS

PRETRAIN_STREAM = 100
NUM_DIGITS = 10
MIN_BOX_SIDE = 2.0  # as the demo set's annotations: slivers behind occluders are dropped


def _encode_decode(frame: np.ndarray, quality: int) -> np.ndarray:
    ok, data = cv2.imencode('.jpg', frame[..., ::-1], [int(cv2.IMWRITE_JPEG_QUALITY), quality])
    if not ok:
        raise RuntimeError('could not encode a pretraining frame as jpg')
    return cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1]


def render_pretrain_scenes(
    num_scenes: int,
    seed: int = 0,
    height: int = 64,
    width: int = 64,
    max_digits: int = 3,
    clip_frames: int = 8,
    jpeg_quality: int = 90,
) -> dict:
    """``num_scenes`` frames of 1-``max_digits`` digits, each doing a motion template and
    seen at a random moment of it: ``images (N, H, W, 3)`` uint8 RGB, ``boxes (M, 4)``
    ``x1, y1, x2, y2``, ``labels (M,)`` (the digit) and ``frame (M,)`` (its image)."""
    images, boxes, labels, frame = [], [], [], []
    for scene in range(int(num_scenes)):
        rng = np.random.default_rng([seed, PRETRAIN_STREAM, scene])
        background = random_background(height, width, rng)
        tracks = []
        for k in range(int(rng.integers(1, max_digits + 1))):
            digit = int(rng.integers(10))
            center = (rng.uniform(0.25, 0.75) * width, rng.uniform(0.25, 0.75) * height)
            motion = MOTIONS[int(rng.integers(len(MOTIONS)))]
            size = rng.uniform(0.32, 0.48) * min(height, width)
            glyph = pick_glyph(digit, rng)
            tracks.append(
                motion_track(
                    glyph, digit, motion, clip_frames, height, width, rng, size=size,
                    center=center, instance_id=k,
                )
            )  # fmt: skip
        clip = render_clip(tracks, background, clip_frames)
        t = int(rng.integers(clip_frames))
        for k, track in enumerate(tracks):
            x1, y1, x2, y2 = (float(v) for v in clip.boxes[t, k])
            if clip.visible[t, k] and min(x2 - x1, y2 - y1) >= MIN_BOX_SIDE:
                boxes.append((x1, y1, x2, y2))
                labels.append(track.digit)
                frame.append(len(images))
        images.append(_encode_decode(clip.frames[t], jpeg_quality))
    return dict(
        images=np.stack(images),
        boxes=np.asarray(boxes, np.float32).reshape(-1, 4),
        labels=np.asarray(labels, np.int64),
        frame=np.asarray(frame, np.int64),
    )


def box_masks(boxes: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """``(M, 1, H, W)`` float: the fraction of each pixel that box ``x1, y1, x2, y2`` covers."""
    xs = torch.arange(width, dtype=torch.float32)
    ys = torch.arange(height, dtype=torch.float32)
    cover_x = (torch.minimum(xs + 1, boxes[:, 2:3]) - torch.maximum(xs, boxes[:, 0:1])).clamp(0, 1)
    cover_y = (torch.minimum(ys + 1, boxes[:, 3:4]) - torch.maximum(ys, boxes[:, 1:2])).clamp(0, 1)
    return (cover_y[:, :, None] * cover_x[:, None, :])[:, None]


@HOOKS.register_module()
class BackboneBoxPretrainHook(BackbonePretrainHook):
    """Before training, fit ``model.<backbone>`` to classify the digit in each box of
    ``num_scenes`` rendered frames (:func:`render_pretrain_scenes` from ``seed``) by the
    mean of its ``levels`` outputs inside the box; the fit and the other options are
    :class:`~dlm_core.hooks.backbone_pretrain.BackbonePretrainHook`'s."""

    region_key = 'boxes'
    belongs_in = 'single-task detector configs (configs/tasks/imagenet_vid_demo_pretrained.py)'

    def __init__(
        self,
        backbone: str = 'detector.backbone',
        num_scenes: int = 4000,
        seed: int = 0,
        levels=(1, 2),
        iters: int = 2500,
        log_interval: int = 250,
        **fit,
    ):
        if num_scenes < 1:
            raise ValueError(f'num_scenes must be >= 1, got {num_scenes}')
        super().__init__(backbone, levels, iters, log_interval, **fit)
        self.num_scenes, self.seed = int(num_scenes), int(seed)

    def load_data(self) -> dict:
        return render_pretrain_scenes(self.num_scenes, self.seed)

    def region_weights(self, regions: torch.Tensor, height: int, width: int) -> torch.Tensor:
        return box_masks(regions, height, width)

    def num_classes(self, labels: torch.Tensor) -> int:
        return NUM_DIGITS  # whichever digits a small set happens to show

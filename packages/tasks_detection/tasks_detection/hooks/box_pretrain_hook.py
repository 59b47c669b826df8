"""Pretrain a video object detector's backbone on naming the digit in each box.

TransVOD, like every DETR detector, starts from an ImageNet / COCO backbone. The demo's 64
ImageNet VID training videos hold a few hundred distinct handwritten digits, too few for a
detector trained from scratch to learn the class (AP50 about 10 while the boxes are found).
This hook is the demo's stand-in for that checkpoint: before training it renders separate
scenes like the set's frames (1-3 moving digits on the demo backgrounds, JPEG round trip),
from their own random stream (``[seed, PRETRAIN_STREAM, scene]``; the set's splits draw from
``[seed, 0]`` and ``[seed, 1]``), and fits the backbone to name the digit from its features
average-pooled inside each box, then hands the backbone back to the run (frozen if the config
freezes it). The loop is the same as the YouTube-VIS demo's mask pretraining.
"""

from __future__ import annotations

import time

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.hooks import Hook
from torch import nn

from dlm_core.demo import (
    BACKGROUND_STYLES,
    MOTIONS,
    make_background,
    motion_track,
    pick_glyph,
    render_clip,
)

from ..registry import HOOKS

PRETRAIN_STREAM = 100
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
        style = BACKGROUND_STYLES[int(rng.integers(len(BACKGROUND_STYLES)))]
        background = make_background(height, width, rng, style=style)
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


def pooled_in(features: torch.Tensor, weights: torch.Tensor, frame: torch.Tensor):
    """The mean of ``features (B, C, h, w)`` under each weight map ``(M, 1, H, W)`` lying on
    image ``frame[m]`` of the batch: ``(M, C)``."""
    weights = F.interpolate(weights, size=features.shape[-2:], mode='area')
    summed = (features[frame] * weights).sum((2, 3))
    return summed / weights.sum((2, 3)).clamp(min=1e-6)


def _submodule(model: nn.Module, path: str) -> nn.Module:
    module = model
    for name in path.split('.'):
        module = getattr(module, name, None)
        if not isinstance(module, nn.Module):
            raise TypeError(
                f"BackboneBoxPretrainHook pretrains model.{path}, and the run's "
                f'{type(model).__name__} has none: the hook belongs in single-task detector '
                'configs (configs/tasks/imagenet_vid_demo_pretrained.py), not in a DLM run'
            )
    return module


@HOOKS.register_module()
class BackboneBoxPretrainHook(Hook):
    """Before training, fit ``model.<backbone>`` to classify the digit in each box of
    ``num_scenes`` rendered frames by the mean of its ``levels`` outputs inside the box (a
    linear head, AdamW, ``iters`` steps of ``batch_size`` frames), then drop the head.

    Skipped when the run resumes or starts from ``load_from``: the weights then come from
    that checkpoint. The backbone's own ``train()`` puts frozen stages back afterwards.
    ``mean``/``std`` normalise RGB pixels as the model's data preprocessor does.
    """

    priority = 'VERY_HIGH'

    def __init__(
        self,
        backbone: str = 'detector.backbone',
        num_scenes: int = 4000,
        seed: int = 0,
        levels=(1, 2),
        iters: int = 2500,
        batch_size: int = 32,
        lr: float = 2e-3,
        weight_decay: float = 0.05,
        mean=(123.675, 116.28, 103.53),
        std=(58.395, 57.12, 57.375),
        log_interval: int = 250,
    ):
        if iters < 1 or batch_size < 1 or num_scenes < 1:
            raise ValueError(
                f'iters, batch_size and num_scenes must be >= 1, got {iters}, {batch_size}, '
                f'{num_scenes}'
            )
        self.backbone = backbone
        self.num_scenes, self.seed = int(num_scenes), int(seed)
        self.levels = tuple(levels)
        self.iters, self.batch_size = int(iters), int(batch_size)
        self.lr, self.weight_decay = float(lr), float(weight_decay)
        self.mean = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
        self.std = torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1)
        self.log_interval = int(log_interval)

    def before_train(self, runner) -> None:
        if runner.iter > 0 or runner.cfg.get('load_from'):
            runner.logger.info('backbone pretraining skipped: weights come from a checkpoint')
            return
        model = runner.model.module if hasattr(runner.model, 'module') else runner.model
        self.pretrain(_submodule(model, self.backbone), runner.logger)
        model.train()  # the backbone's train() refreezes its frozen stages

    def pretrain(self, backbone: nn.Module, logger, data: dict | None = None) -> list[float]:
        """Fit ``backbone`` in place on ``data`` (default: the rendered scenes); returns the
        loss of every step."""
        start = time.time()
        data = data or render_pretrain_scenes(self.num_scenes, self.seed)
        if len(data['labels']) == 0:
            raise ValueError('no visible box to pretrain on')
        device = next(backbone.parameters()).device
        images = torch.from_numpy(data['images']).permute(0, 3, 1, 2)
        height, width = images.shape[-2:]
        boxes = torch.from_numpy(data['boxes'])
        labels = torch.from_numpy(data['labels']).long()
        frame = torch.from_numpy(data['frame']).long()
        nn.Module.train(backbone, True)  # past a frozen backbone's own train()
        for param in backbone.parameters():
            param.requires_grad_(True)
        with torch.no_grad():
            probe = backbone(self._normalise(images[:1].to(device)))
        head = nn.Linear(sum(probe[i].shape[1] for i in self.levels), 10).to(device)
        params = list(backbone.parameters()) + list(head.parameters())
        optimizer = torch.optim.AdamW(params, lr=self.lr, weight_decay=self.weight_decay)
        logger.info(
            f'backbone pretraining on {len(images)} rendered frames, {len(labels)} boxes '
            f'({time.time() - start:.0f} s to render)'
        )
        losses = []
        for step in range(1, self.iters + 1):
            chosen = torch.randperm(len(images))[: self.batch_size]
            slot = torch.full((len(images),), -1, dtype=torch.long)
            slot[chosen] = torch.arange(len(chosen))
            on_chosen = slot[frame] >= 0
            outputs = backbone(self._normalise(images[chosen].to(device)))
            weights = box_masks(boxes[on_chosen], height, width).to(device)
            where = slot[frame[on_chosen]].to(device)
            pooled = [pooled_in(outputs[i], weights, where) for i in self.levels]
            logits = head(torch.cat(pooled, 1))
            target = labels[on_chosen].to(device)
            loss = F.cross_entropy(logits, target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            if step % self.log_interval == 0 or step == self.iters:
                accuracy = float((logits.argmax(1) == target).float().mean())
                logger.info(
                    f'backbone pretraining [{step}/{self.iters}] loss {loss.item():.4f} '
                    f'batch accuracy {accuracy:.3f} ({time.time() - start:.0f} s)'
                )
        for param in backbone.parameters():  # the run's own freezing decides from here
            param.grad = None
        return losses

    def _normalise(self, images: torch.Tensor) -> torch.Tensor:
        return (images.float() - self.mean.to(images.device)) / self.std.to(images.device)

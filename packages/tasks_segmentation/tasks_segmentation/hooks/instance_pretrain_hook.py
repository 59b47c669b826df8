"""Pretrain a video instance segmenter's backbone on per-instance classification.

Mask2Former-VIS never starts from scratch: it loads a COCO instance-segmentation checkpoint
(118k images) and fine-tunes on YouTube-VIS. The demo has no such checkpoint, and its 200
training videos hold about 400 distinct handwritten digits, too few for the query decoder to
learn the digit from (measured: class right on 10 % of the localised tracks, chance level).
This hook is the demo's stand-in for that checkpoint: before training, it fits the backbone
to name the digit under each instance mask of a separate, larger set of rendered scenes
(``pretrain.json``, the same YouTube-VIS layout), from features average-pooled inside the
mask, and hands the backbone back to the run (frozen if the config freezes it).
"""

from __future__ import annotations

import json
import os.path as osp
import time

import mmcv
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.hooks import Hook
from pycocotools import mask as mask_utils
from torch import nn

from ..registry import HOOKS


def load_instance_frames(ann_file: str, img_prefix: str) -> dict:
    """Every annotated frame of a YouTube-VIS json: ``images (N, H, W, 3)`` uint8 RGB,
    ``masks (M, H, W)`` bool, ``labels (M,)`` (category index) and ``frame (M,)`` (the
    image each mask lies on)."""
    if not osp.isfile(ann_file):
        raise FileNotFoundError(
            f'{ann_file}: the pretraining split is missing; write the demo set again: '
            'python tools/data/make_demo_data.py --sets youtube_vis --force'
        )
    with open(ann_file) as handle:
        data = json.load(handle)
    category_index = {c['id']: i for i, c in enumerate(data['categories'])}
    videos = {v['id']: v for v in data['videos']}
    per_frame: dict = {}
    for ann in data['annotations']:
        video = videos[ann['video_id']]
        for t, rle in enumerate(ann['segmentations']):
            if rle is None:
                continue
            if isinstance(rle['counts'], list):  # uncompressed, as the official files store
                rle = mask_utils.frPyObjects(rle, *rle['size'])
            label = category_index[ann['category_id']]
            per_frame.setdefault((video['id'], t), []).append((mask_utils.decode(rle), label))
    if not per_frame:
        raise ValueError(f'{ann_file}: no annotated frame to pretrain on (annotations is empty)')
    images, masks, labels, frame = [], [], [], []
    for (video_id, t), instances in per_frame.items():
        path = osp.join(img_prefix, videos[video_id]['file_names'][t])
        images.append(mmcv.imread(path, channel_order='rgb'))
        for mask, label in instances:
            masks.append(mask.astype(bool))
            labels.append(label)
            frame.append(len(images) - 1)
    return dict(
        images=np.stack(images),
        masks=np.stack(masks),
        labels=np.asarray(labels),
        frame=np.asarray(frame),
    )


def mask_pooled(features: torch.Tensor, masks: torch.Tensor, frame: torch.Tensor):
    """The mean of ``features (B, C, h, w)`` inside each mask ``(M, 1, H, W)`` lying on
    image ``frame[m]`` of the batch: ``(M, C)``."""
    weights = F.interpolate(masks, size=features.shape[-2:], mode='area')
    summed = (features[frame] * weights).sum((2, 3))
    return summed / weights.sum((2, 3)).clamp(min=1e-6)


@HOOKS.register_module()
class BackboneInstancePretrainHook(Hook):
    """Before training, fit ``model.backbone`` to classify instances by the mean of its
    ``levels`` outputs inside each instance mask (a linear head, AdamW, ``iters`` steps of
    ``batch_size`` frames), then drop the head.

    Skipped when the run resumes or starts from ``load_from``: the weights then come from
    that checkpoint. The backbone's own ``train()`` puts frozen stages back afterwards.

    Args:
        ann_file: YouTube-VIS json of the pretraining scenes.
        img_prefix: folder of their frames (the json's ``file_names`` are relative to it).
        levels: backbone outputs pooled (indices into its output tuple).
        iters, batch_size, lr, weight_decay: the optimisation.
        mean, std: pixel normalisation, as the model's data preprocessor does it (RGB).
    """

    priority = 'VERY_HIGH'

    def __init__(
        self,
        ann_file: str,
        img_prefix: str,
        levels=(2, 3),
        iters: int = 2000,
        batch_size: int = 32,
        lr: float = 2e-3,
        weight_decay: float = 0.05,
        mean=(123.675, 116.28, 103.53),
        std=(58.395, 57.12, 57.375),
        log_interval: int = 200,
    ):
        if iters < 1 or batch_size < 1:
            raise ValueError(f'iters and batch_size must be >= 1, got {iters}, {batch_size}')
        self.ann_file, self.img_prefix = ann_file, img_prefix
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
        if not isinstance(getattr(model, 'backbone', None), nn.Module):
            raise TypeError(
                f"BackboneInstancePretrainHook pretrains model.backbone, and the run's "
                f'{type(model).__name__} has none: the hook belongs in single-task configs '
                '(custom_hooks of configs/tasks/youtube_vis_demo.py), not in a DLM run'
            )
        self.pretrain(model.backbone, runner.logger)
        model.train()  # the backbone's train() refreezes its frozen stages

    def pretrain(self, backbone: nn.Module, logger) -> list[float]:
        """Fit ``backbone`` in place; returns the loss of every step."""
        start = time.time()
        data = load_instance_frames(self.ann_file, self.img_prefix)
        device = next(backbone.parameters()).device
        images = torch.from_numpy(data['images']).permute(0, 3, 1, 2)
        masks = torch.from_numpy(data['masks'])[:, None]  # bool: float only per batch
        labels = torch.from_numpy(data['labels']).long()
        frame = torch.from_numpy(data['frame']).long()
        num_classes = int(labels.max()) + 1
        nn.Module.train(backbone, True)  # past a frozen backbone's own train()
        for param in backbone.parameters():
            param.requires_grad_(True)
        with torch.no_grad():
            probe = backbone(self._normalise(images[:1].to(device)))
        head = nn.Linear(sum(probe[i].shape[1] for i in self.levels), num_classes).to(device)
        params = list(backbone.parameters()) + list(head.parameters())
        optimizer = torch.optim.AdamW(params, lr=self.lr, weight_decay=self.weight_decay)
        losses = []
        for step in range(1, self.iters + 1):
            chosen = torch.randperm(len(images))[: self.batch_size]
            slot = torch.full((len(images),), -1, dtype=torch.long)
            slot[chosen] = torch.arange(len(chosen))
            on_chosen = slot[frame] >= 0
            outputs = backbone(self._normalise(images[chosen].to(device)))
            chosen_masks = masks[on_chosen].to(device).float()
            pooled = [
                mask_pooled(outputs[i], chosen_masks, slot[frame[on_chosen]]) for i in self.levels
            ]
            logits = head(torch.cat(pooled, 1))
            loss = F.cross_entropy(logits, labels[on_chosen].to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            if step % self.log_interval == 0 or step == self.iters:
                accuracy = float((logits.argmax(1) == labels[on_chosen].to(device)).float().mean())
                logger.info(
                    f'backbone pretraining [{step}/{self.iters}] loss {loss.item():.4f} '
                    f'batch accuracy {accuracy:.3f} ({time.time() - start:.0f} s)'
                )
        for param in backbone.parameters():  # the run's own freezing decides from here
            param.grad = None
        return losses

    def _normalise(self, images: torch.Tensor) -> torch.Tensor:
        return (images.float() - self.mean.to(images.device)) / self.std.to(images.device)

"""Fit a backbone to name the object in each region of a set of frames, before training.

A demo set is too small to learn its classes when the model starts from random weights,
while the real models start from an ImageNet or COCO checkpoint. A task's pretraining
hook stands in for that checkpoint: before training, it fits the backbone to classify
each region (a box, a mask) of frames of its own from the backbone's features averaged
inside the region, then hands the backbone back to the run, which freezes it again if
the config says so. This module holds what those hooks share: the pooling over a region
and the fit loop. A task hook says which frames, which regions and how many classes.
"""

from __future__ import annotations

import time
from abc import ABCMeta, abstractmethod

import torch
import torch.nn.functional as F
from mmengine.hooks import Hook
from torch import nn

IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)


def region_mean(features: torch.Tensor, weights: torch.Tensor, frame: torch.Tensor):
    """The mean of ``features (B, C, h, w)`` under each weight map ``(M, 1, H, W)`` (a
    mask, or the share of each pixel a box covers) lying on image ``frame[m]`` of the
    batch: ``(M, C)``. The maps are area-resized to the features' grid first."""
    weights = F.interpolate(weights, size=features.shape[-2:], mode='area')
    summed = (features[frame] * weights).sum((2, 3))
    return summed / weights.sum((2, 3)).clamp(min=1e-6)


class BackbonePretrainHook(Hook, metaclass=ABCMeta):
    """Before training, fit ``model.<backbone>`` to classify each region of the frames
    :meth:`load_data` gives by the mean of its ``levels`` outputs inside the region (a
    linear head, AdamW, ``iters`` steps of ``batch_size`` frames), then drop the head.

    Skipped when the run resumes or starts from ``load_from``: the weights then come from
    that checkpoint. The backbone's own ``train()`` puts frozen stages back afterwards.
    ``mean``/``std`` normalise RGB pixels as the model's data preprocessor does.

    A task's hook gives :meth:`load_data` and :meth:`region_weights`, names the regions'
    key (:attr:`region_key`) and says where the hook belongs (:attr:`belongs_in`).
    """

    priority = 'VERY_HIGH'
    #: the key of :meth:`load_data`'s regions (one per label, e.g. ``'boxes'``)
    region_key = 'regions'
    #: the configs the hook is meant for (said when a model has no backbone to pretrain)
    belongs_in = 'single-task configs'

    def __init__(
        self,
        backbone: str,
        levels,
        iters: int,
        log_interval: int,
        batch_size: int = 32,
        lr: float = 2e-3,
        weight_decay: float = 0.05,
        mean=IMAGENET_MEAN,
        std=IMAGENET_STD,
    ):
        if iters < 1 or batch_size < 1:
            raise ValueError(f'iters and batch_size must be >= 1, got {iters}, {batch_size}')
        self.backbone = backbone
        self.levels = tuple(levels)
        self.iters, self.batch_size = int(iters), int(batch_size)
        self.lr, self.weight_decay = float(lr), float(weight_decay)
        self.mean = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
        self.std = torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1)
        self.log_interval = int(log_interval)

    @abstractmethod
    def load_data(self) -> dict:
        """The frames to pretrain on: ``images (N, H, W, 3)`` uint8 RGB, ``labels (M,)``,
        ``frame (M,)`` (the image of each label) and the regions under :attr:`region_key`."""

    @abstractmethod
    def region_weights(self, regions: torch.Tensor, height: int, width: int) -> torch.Tensor:
        """``(M, 1, height, width)`` float weight maps of ``regions`` (rows of the data's
        :attr:`region_key`), for :func:`region_mean`."""

    def num_classes(self, labels: torch.Tensor) -> int:
        """Outputs of the classifier: by default one per label seen."""
        return int(labels.max()) + 1

    def backbone_of(self, model) -> nn.Module:
        """``model.<backbone>``; a model without it is an error saying where the hook goes."""
        module = model
        for name in self.backbone.split('.'):
            module = getattr(module, name, None)
            if not isinstance(module, nn.Module):
                raise TypeError(
                    f"{type(self).__name__} pretrains model.{self.backbone}, and the run's "
                    f'{type(model).__name__} has none: the hook belongs in {self.belongs_in}, '
                    'not in a DLM run'
                )
        return module

    def before_train(self, runner) -> None:
        if runner.iter > 0 or runner.cfg.get('load_from'):
            runner.logger.info('backbone pretraining skipped: weights come from a checkpoint')
            return
        model = runner.model.module if hasattr(runner.model, 'module') else runner.model
        self.pretrain(self.backbone_of(model), runner.logger)
        model.train()  # the backbone's train() refreezes its frozen stages

    def pretrain(self, backbone: nn.Module, logger, data: dict | None = None) -> list[float]:
        """Fit ``backbone`` in place on ``data`` (default: :meth:`load_data`); returns the
        loss of every step."""
        start = time.time()
        data = self.load_data() if data is None else data
        if len(data['labels']) == 0:
            raise ValueError(f'no region to pretrain on (the data hold no {self.region_key})')
        device = next(backbone.parameters()).device
        images = torch.from_numpy(data['images']).permute(0, 3, 1, 2)
        height, width = images.shape[-2:]
        regions = torch.from_numpy(data[self.region_key])
        labels = torch.from_numpy(data['labels']).long()
        frame = torch.from_numpy(data['frame']).long()
        nn.Module.train(backbone, True)  # past a frozen backbone's own train()
        for param in backbone.parameters():
            param.requires_grad_(True)
        with torch.no_grad():
            probe = backbone(self._normalise(images[:1].to(device)))
        features = sum(probe[i].shape[1] for i in self.levels)
        head = nn.Linear(features, self.num_classes(labels)).to(device)
        params = list(backbone.parameters()) + list(head.parameters())
        optimizer = torch.optim.AdamW(params, lr=self.lr, weight_decay=self.weight_decay)
        logger.info(
            f'backbone pretraining on {len(images)} frames, {len(labels)} {self.region_key} '
            f'({time.time() - start:.0f} s to load them)'
        )
        losses = []
        for step in range(1, self.iters + 1):
            chosen = torch.randperm(len(images))[: self.batch_size]
            slot = torch.full((len(images),), -1, dtype=torch.long)
            slot[chosen] = torch.arange(len(chosen))
            on_chosen = slot[frame] >= 0
            outputs = backbone(self._normalise(images[chosen].to(device)))
            weights = self.region_weights(regions[on_chosen], height, width).to(device)
            where = slot[frame[on_chosen]].to(device)
            pooled = [region_mean(outputs[i], weights, where) for i in self.levels]
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

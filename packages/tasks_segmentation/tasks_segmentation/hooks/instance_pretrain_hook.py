"""Pretrain a video instance segmenter's backbone on per-instance classification.

Mask2Former-VIS never starts from scratch: it loads a COCO instance-segmentation checkpoint
(118k images) and fine-tunes on YouTube-VIS. The demo has no such checkpoint, and its 200
training videos hold about 400 distinct handwritten digits, too few for the query decoder to
learn the digit from (measured: class right on 10 % of the localised tracks, chance level).
This hook is the demo's stand-in for that checkpoint: before training, it fits the backbone
to name the digit under each instance mask of a separate, larger set of rendered scenes
(``pretrain.json``, the same YouTube-VIS layout), from features average-pooled inside the
mask, and hands the backbone back to the run (frozen if the config freezes it). The pooling
and the fit loop are dlm_core's ``BackbonePretrainHook``.
"""

from __future__ import annotations

import json
import os.path as osp

import mmcv
import numpy as np
import torch
from pycocotools import mask as mask_utils

from dlm_core.hooks.backbone_pretrain import BackbonePretrainHook

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


@HOOKS.register_module()
class BackboneInstancePretrainHook(BackbonePretrainHook):
    """Before training, fit ``model.backbone`` to classify instances by the mean of its
    ``levels`` outputs inside each instance mask of the pretraining split; the fit is
    :class:`~dlm_core.hooks.backbone_pretrain.BackbonePretrainHook`'s.

    Args:
        ann_file: YouTube-VIS json of the pretraining scenes.
        img_prefix: folder of their frames (the json's ``file_names`` are relative to it).
        levels: backbone outputs pooled (indices into its output tuple).
        iters, log_interval, **fit: the optimisation (``batch_size``, ``lr``,
            ``weight_decay``) and the pixel normalisation (``mean``, ``std``, RGB, as the
            model's data preprocessor does it).
    """

    region_key = 'masks'
    belongs_in = 'single-task configs (custom_hooks of configs/tasks/youtube_vis_demo.py)'

    def __init__(
        self,
        ann_file: str,
        img_prefix: str,
        levels=(2, 3),
        iters: int = 2000,
        log_interval: int = 200,
        **fit,
    ):
        super().__init__('backbone', levels, iters, log_interval, **fit)
        self.ann_file, self.img_prefix = ann_file, img_prefix

    def load_data(self) -> dict:
        return load_instance_frames(self.ann_file, self.img_prefix)

    def region_weights(self, regions: torch.Tensor, height: int, width: int) -> torch.Tensor:
        return regions[:, None].float()  # the masks stay bool until their batch is chosen

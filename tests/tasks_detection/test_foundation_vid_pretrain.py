"""The ImageNet VID demo detector's backbone pretraining: its scenes and its loss."""

import logging

import numpy as np
import pytest
import torch
from mmengine.config import Config

import tasks_detection  # noqa: F401  (its registries reach the VOD plugin)
from dlm_core.hooks.backbone_pretrain import region_mean
from dlm_core.registry import TASKS, build_from
from tasks_detection.demo import imagenet_vid
from tasks_detection.hooks import BackboneBoxPretrainHook, render_pretrain_scenes
from tasks_detection.hooks.box_pretrain_hook import PRETRAIN_STREAM, box_masks

CONFIG = 'configs/tasks/imagenet_vid_demo_pretrained.py'


def test_scenes_have_their_own_stream_and_boxes_on_their_frames():
    """The set's splits draw from ``[seed, offset]`` with offsets 0 and 1; the scenes from
    ``[seed, PRETRAIN_STREAM, scene]``."""
    assert PRETRAIN_STREAM not in {offset for _, offset in imagenet_vid.SPLITS.values()}
    data = render_pretrain_scenes(6, seed=0)
    again = render_pretrain_scenes(6, seed=0)
    assert np.array_equal(data['images'], again['images'])
    assert data['images'].shape == (6, 64, 64, 3) and data['images'].dtype == np.uint8
    assert len(data['boxes']) == len(data['labels']) == len(data['frame']) >= 6
    assert set(data['frame']) <= set(range(6)) and data['labels'].max() < 10
    x1, y1, x2, y2 = data['boxes'].T
    assert (x2 - x1 >= 2).all() and (y2 - y1 >= 2).all()


def test_box_pooling_averages_inside_the_box_only():
    features = torch.zeros(1, 1, 8, 8)
    features[..., :4, :4] = 1.0  # the top-left quarter of a 64x64 frame at stride 8
    boxes = torch.tensor([[0.0, 0.0, 32.0, 32.0], [32.0, 32.0, 64.0, 64.0]])
    pooled = region_mean(features, box_masks(boxes, 64, 64), torch.tensor([0, 0]))
    torch.testing.assert_close(pooled, torch.tensor([[1.0], [0.0]]))


def test_config_freezes_the_pretrained_backbone_and_runs_the_hook():
    cfg = Config.fromfile(CONFIG)
    assert cfg.model.detector.backbone.frozen_stages == 4
    assert [h['type'] for h in cfg.custom_hooks][-1] == 'BackboneBoxPretrainHook'
    plugin = build_from(
        TASKS, dict(type='tasks_detection.VideoObjectDetectionTask', model=cfg.model)
    )
    assert plugin.model.detector.backbone.frozen_stages == 4


def test_pretraining_lowers_the_loss_on_a_few_scenes():
    torch.manual_seed(0)
    cfg = Config.fromfile(CONFIG)
    plugin = build_from(
        TASKS, dict(type='tasks_detection.VideoObjectDetectionTask', model=cfg.model)
    )
    backbone = plugin.model.detector.backbone
    hook = BackboneBoxPretrainHook(iters=40, batch_size=8, log_interval=1000)
    losses = hook.pretrain(backbone, logging.getLogger('test'), render_pretrain_scenes(8))
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5]), losses
    assert all(p.grad is None for p in backbone.parameters())


def test_hook_refuses_a_model_without_the_backbone():
    with pytest.raises(TypeError, match='has none'):
        BackboneBoxPretrainHook(backbone='detector.backbone').backbone_of(torch.nn.Linear(2, 2))

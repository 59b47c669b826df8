"""BackbonePretrainHook: the fit loop the task packages' backbone pretraining hooks share.

A toy hook (bright or dark squares to tell apart, masks as regions) on a two-level conv
backbone that freezes its first level in ``train()``, as the task backbones' frozen stages do.
"""

import logging
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from dlm_core.hooks.backbone_pretrain import BackbonePretrainHook, region_mean

LOGGER = logging.getLogger('test_backbone_pretrain')


class TwoLevelBackbone(nn.Module):
    """Outputs at strides 2 and 4; ``train()`` keeps the stem frozen (as ``frozen_stages``)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, stride=2, padding=1)
        self.stage = nn.Conv2d(4, 8, 3, stride=2, padding=1)

    def forward(self, x):
        first = torch.relu(self.stem(x))
        return first, torch.relu(self.stage(first))

    def train(self, mode: bool = True):
        super().train(mode)
        for param in self.stem.parameters():
            param.requires_grad_(False)
        return self


class ToyModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = TwoLevelBackbone()


class SquaresHook(BackbonePretrainHook):
    region_key = 'masks'
    belongs_in = 'toy configs'

    def load_data(self) -> dict:
        """8 grey frames, each with a dark (class 0) and a bright (class 1) square, one in
        each half of the frame (which one where is random)."""
        rng = np.random.default_rng(0)
        images = np.full((8, 16, 16, 3), 128, np.uint8)
        masks, labels, frame = [], [], []
        for n in range(8):
            dark_side = int(rng.integers(2))
            for label, value in ((0, 0), (1, 255)):
                top, left = int(rng.integers(0, 9)), 8 * (dark_side ^ label)
                mask = np.zeros((16, 16), bool)
                mask[top : top + 7, left : left + 7] = True
                images[n][mask] = value
                masks.append(mask)
                labels.append(label)
                frame.append(n)
        return dict(
            images=images, masks=np.stack(masks), labels=np.array(labels), frame=np.array(frame)
        )

    def region_weights(self, regions, height, width):
        return regions[:, None].float()


def squares_hook(**kwargs):
    options = dict(backbone='backbone', levels=(0, 1), iters=60, log_interval=30, batch_size=4)
    options.update(kwargs)
    return SquaresHook(**options, lr=1e-2)


def test_region_mean_weighs_each_cell_by_its_share():
    features = torch.tensor([[[[1.0, 3.0], [5.0, 7.0]]]])  # one image, one channel, 2x2
    weights = torch.zeros(1, 1, 4, 4)
    weights[0, 0, :2, :2] = 1.0  # all of cell (0, 0)
    weights[0, 0, :2, 2:] = 0.5  # half of cell (0, 1)
    pooled = region_mean(features, weights, torch.tensor([0]))
    torch.testing.assert_close(pooled, torch.tensor([[(1.0 + 0.5 * 3.0) / 1.5]]))


def test_the_fit_lowers_the_loss_and_hands_back_a_refrozen_backbone():
    torch.manual_seed(0)
    model = ToyModel()
    before = model.backbone.stage.weight.detach().clone()
    runner = SimpleNamespace(model=model, iter=0, cfg={}, logger=LOGGER)
    hook = squares_hook()
    hook.before_train(runner)
    assert not torch.equal(before, model.backbone.stage.weight)
    assert not any(p.requires_grad for p in model.backbone.stem.parameters())
    assert all(p.requires_grad for p in model.backbone.stage.parameters())
    assert all(p.grad is None for p in model.backbone.parameters())
    torch.manual_seed(0)
    losses = squares_hook().pretrain(TwoLevelBackbone(), LOGGER)
    assert len(losses) == 60 and np.mean(losses[-10:]) < 0.5 * np.mean(losses[:10]), losses


@pytest.mark.parametrize(
    'state', [dict(iter=3, cfg={}), dict(iter=0, cfg={'load_from': 'some/checkpoint.pth'})]
)
def test_a_resumed_or_fine_tuned_run_keeps_its_backbone(state):
    backbone = TwoLevelBackbone()
    before = {k: v.clone() for k, v in backbone.state_dict().items()}
    runner = SimpleNamespace(model=SimpleNamespace(backbone=backbone), logger=LOGGER, **state)
    squares_hook().before_train(runner)
    assert all(torch.equal(before[k], v) for k, v in backbone.state_dict().items())


def test_a_model_without_the_backbone_is_told_where_the_hook_belongs():
    with pytest.raises(TypeError, match=r'SquaresHook pretrains model\.neck\.body.*toy configs'):
        squares_hook(backbone='neck.body').backbone_of(nn.Linear(2, 2))


def test_data_without_a_region_and_bad_schedules_are_refused():
    empty = dict(images=np.zeros((1, 8, 8, 3), np.uint8), masks=np.zeros((0, 8, 8), bool))
    empty.update(labels=np.zeros(0, np.int64), frame=np.zeros(0, np.int64))
    with pytest.raises(ValueError, match='no region to pretrain on'):
        squares_hook().pretrain(TwoLevelBackbone(), LOGGER, empty)
    with pytest.raises(ValueError, match='must be >= 1'):
        squares_hook(iters=0)

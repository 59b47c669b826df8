"""The foundation config trains: its loss falls on a tiny pool, and the hook exports it."""

import logging
from types import SimpleNamespace

import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope

import tasks_recognition  # noqa: F401  (its registries reach the dataset and the hook)
from dlm_core.registry import TASKS, build_from
from tasks_recognition.demo.foundation_pool import write_pool
from tasks_recognition.hooks.foundation_export import (
    BACKBONE_FILE,
    BACKBONE_PATCH16_FILE,
    ExportFoundationBackboneHook,
)
from tasks_recognition.registry import DATASETS
from tests.helpers.demo_configs import demo_config

CONFIG = 'configs/foundation/demo_vit.py'


def _model(cfg):
    return build_from(TASKS, dict(type='ActionRecognitionTask', model=cfg.model.to_dict())).model


def test_pretraining_lowers_the_loss_on_a_tiny_pool(tmp_path):
    torch.manual_seed(0)
    write_pool(str(tmp_path), seed=0, sizes=dict(train=8, val=1))
    cfg = demo_config(CONFIG, 'data/demo/foundation', str(tmp_path))
    with DefaultScope.overwrite_default_scope('tasks_recognition'):
        dataset = DATASETS.build(cfg.train_dataloader.dataset)
    assert len(dataset) == 8
    batch = pseudo_collate([dataset[i] for i in range(8)])
    model = _model(cfg)
    model.init_weights()
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(25):
        data = model.data_preprocessor(batch, training=True)
        parts = model(**data, mode='loss')
        loss = parts['loss_motion'] + parts['loss_digit']
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert sum(losses[-5:]) / 5 < 0.5 * sum(losses[:5]) / 5, losses


def test_export_hook_writes_both_geometries(tmp_path):
    cfg = demo_config(CONFIG, 'data/demo/foundation', str(tmp_path))
    model = _model(cfg)
    runner = SimpleNamespace(
        model=model, work_dir=str(tmp_path), epoch=10, logger=logging.getLogger('test')
    )
    ExportFoundationBackboneHook().after_train(runner)
    plain = torch.load(tmp_path / BACKBONE_FILE, weights_only=True)['state_dict']
    spread = torch.load(tmp_path / BACKBONE_PATCH16_FILE, weights_only=True)['state_dict']
    own = model.backbone.state_dict()
    assert set(plain) == set(own) and all(torch.equal(plain[k], own[k]) for k in own)
    assert spread['patch_embed.projection.weight'].shape[-2:] == (16, 16)
    assert 'norm.weight' in spread and 'fc_norm.weight' not in spread


def test_factor_head_scores_pairs_as_the_product_of_its_factors():
    from mmaction.structures import ActionDataSample

    from tasks_recognition.models import LatentFactorHead

    head = LatentFactorHead(num_motions=3, num_digits=2, in_channels=4, average_clips='prob')
    scores = torch.randn(5, 5)
    joint = head.joint_log_probs(scores).exp()
    assert joint.shape == (5, 6)
    torch.testing.assert_close(joint.sum(1), torch.ones(5))
    motion, digit = scores[:, :3].softmax(1), scores[:, 3:].softmax(1)
    torch.testing.assert_close(joint[:, 2 * 2 + 1], motion[:, 2] * digit[:, 1])
    samples = [ActionDataSample().set_gt_label(label) for label in (0, 5, 3, 1, 2)]
    losses = head.loss_by_feat(scores, samples)
    torch.testing.assert_close(
        losses['loss_motion'],
        torch.nn.functional.cross_entropy(scores[:, :3], torch.tensor([0, 2, 1, 0, 1])),
    )
    torch.testing.assert_close(
        losses['loss_digit'],
        torch.nn.functional.cross_entropy(scores[:, 3:], torch.tensor([0, 1, 1, 1, 0])),
    )
    predicted = head.predict_by_feat(scores, samples)
    torch.testing.assert_close(predicted[1].pred_score.flatten(), joint[1])
    samples = [ActionDataSample().set_gt_label(6)]
    with pytest.raises(ValueError, match='pool labels'):
        head.loss_by_feat(scores[:1], samples)

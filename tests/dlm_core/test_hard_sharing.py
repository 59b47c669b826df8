"""The HPS baseline: one shared encoder, a head per task, round-robin batches."""

import copy

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from dlm_core.registry import MODELS
from tests.helpers import toy_task  # noqa: F401

TASK_A = dict(type='ToyTask', in_dim=16, dim=32, depth=2, num_classes=3)
TASK_B = dict(type='ToyTask', in_dim=16, dim=32, depth=2, num_classes=4)


def loader(seed, num_classes, shuffle=True):
    return dict(
        batch_size=8,
        num_workers=0,
        collate_fn=dict(type='default_collate'),
        sampler=dict(type='DefaultSampler', shuffle=shuffle),
        dataset=dict(type='ToyTokenDataset', num_samples=32, num_classes=num_classes, seed=seed),
    )


def test_tasks_share_one_encoder_and_keep_their_heads():
    model = MODELS.build(dict(type='HardParameterSharingModel', tasks=dict(a=TASK_A, b=TASK_B)))
    a, b = model.tasks['a'], model.tasks['b']
    assert a.model.layers is b.model.layers and a.model.stem is b.model.stem
    assert a.model.head is not b.model.head
    encoder = sum(p.numel() for p in a.model.parameters()) - a.model.head.weight.numel() - 3
    heads = (32 * 3 + 3) + (32 * 4 + 4)
    assert model.trainable_parameters == encoder + heads
    assert model.backbone_parameters == 2 * encoder + heads
    inputs = torch.randn(2, 10, 16)
    assert model(inputs, None, mode='predict', task='b')[0]['logits'].shape == (4,)
    assert model(inputs, None, mode='predict')[0]['logits'].shape == (3,)


def test_different_encoders_cannot_be_shared():
    with pytest.raises(ValueError, match="cannot share encoder part 'model.stem'"):
        MODELS.build(
            dict(type='HardParameterSharingModel', tasks=dict(a=TASK_A, b=dict(TASK_B, in_dim=12)))
        )


def test_round_robin_training_updates_both_heads(tmp_path):
    cfg = Config(
        dict(
            default_scope='dlm',
            work_dir=str(tmp_path),
            model=dict(type='HardParameterSharingModel', tasks=dict(a=TASK_A, b=TASK_B)),
            train_dataloader=loader(0, 3),
            train_cfg=dict(
                type='RoundRobinTrainLoop',
                task='a',
                max_iters=8,
                val_interval=8,
                other_dataloaders=dict(b=loader(1, 4)),
            ),
            val_dataloader=loader(2, 3, shuffle=False),
            val_cfg=dict(),
            val_evaluator=dict(type='ToyAccuracy'),
            optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.05)),
            default_hooks=dict(logger=dict(type='LoggerHook', interval=1)),
            randomness=dict(seed=0),
            log_level='WARNING',
        )
    )
    runner = Runner.from_cfg(cfg)
    model = runner.model
    heads = {n: copy.deepcopy(model.tasks[n].model.head.state_dict()) for n in ('a', 'b')}
    seen = []
    original = model.forward
    model.forward = lambda *args, **kw: seen.append(kw.get('task')) or original(*args, **kw)
    runner.train()
    train_tasks = [t for t in seen if t is not None]
    assert train_tasks[:8] == ['a', 'b'] * 4
    for name in ('a', 'b'):
        after = model.tasks[name].model.head.state_dict()
        assert not torch.equal(after['weight'], heads[name]['weight'])
    logged = runner.message_hub.log_scalars
    assert 'train/a.loss_cls' in logged and 'train/b.loss_cls' in logged

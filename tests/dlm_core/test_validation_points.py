"""dlm.ValidationPointsHook: ten validation points over a schedule of two epochs, logged at
the iteration they follow, the best checkpoint among them, training resumed in train mode
with the frozen models still in eval mode."""

from __future__ import annotations

import glob
import json
import os.path as osp

import pytest
from mmengine.hooks import Hook
from mmengine.runner import Runner

from dlm_core.errors import ConfigError
from tests.helpers import toy_task  # noqa: F401  (registers the toy plugin)
from tests.helpers.toy_runs import toy_config


class ModeProbe(Hook):
    """Records, before every training iteration, whether the model trains and whether a
    frozen auxiliary model does (after the validation hook, whose priority is higher)."""

    priority = 'VERY_LOW'

    def __init__(self):
        self.modes = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        model = runner.model
        frozen = [module.training for module in model.auxiliaries.values()]
        self.modes.append((runner.iter, model.training, any(frozen)))


def config(tmp_path, **loop):
    cfg = toy_config(tmp_path / 'run', max_epochs=2)  # 48 samples in batches of 8: 12 iters
    cfg.train_cfg.update(dict(val_begin=3), **loop)
    cfg.default_hooks.update(
        validation_points=dict(type='ValidationPointsHook', points=10),
        logger=dict(type='LoggerHook', interval=1, log_metric_by_epoch=False),
        checkpoint=dict(type='CheckpointHook', interval=1, save_best='accuracy', rule='greater'),
    )
    return cfg


def test_ten_points_over_two_epochs_at_the_iterations_they_follow(tmp_path):
    probe = ModeProbe()
    cfg = config(tmp_path)
    runner = Runner.from_cfg(cfg)
    runner.register_hook(probe)
    runner.train()
    scalars = glob.glob(osp.join(cfg.work_dir, '*', 'vis_data', 'scalars.json'))
    with open(scalars[0]) as handle:
        entries = [json.loads(line) for line in handle]
    steps = [entry['step'] for entry in entries if 'accuracy' in entry]
    # round(12 k / 10), k = 1..10: mid-epoch, at the end of epoch 1 (6) and of the run (12)
    assert steps == [1, 2, 4, 5, 6, 7, 8, 10, 11, 12]
    assert glob.glob(osp.join(cfg.work_dir, 'best_accuracy_*.pth'))
    assert len(probe.modes) == 12
    assert all(training and not frozen for _, training, frozen in probe.modes)


def test_the_loop_must_not_validate_as_well(tmp_path):
    cfg = config(tmp_path)
    cfg.train_cfg.val_begin = 1
    with pytest.raises(ConfigError, match=r'train_cfg\.val_begin=1 .* set it to 3'):
        Runner.from_cfg(cfg).train()


def test_an_iteration_based_loop_is_refused(tmp_path):
    cfg = config(tmp_path)
    cfg.train_cfg = dict(by_epoch=False, max_iters=12, val_interval=100)
    cfg.param_scheduler = []
    with pytest.raises(ConfigError, match='expected an epoch-based loop, got IterBasedTrainLoop'):
        Runner.from_cfg(cfg).train()

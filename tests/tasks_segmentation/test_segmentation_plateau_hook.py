"""EpochLossPlateauHook: ASFormer's ReduceLROnPlateau on the epoch's training loss."""

from types import SimpleNamespace

import torch

import tasks_segmentation  # noqa: F401
from tasks_segmentation.registry import HOOKS


def run_epochs(hook, runner, epoch_losses):
    for losses in epoch_losses:
        hook.before_train_epoch(runner)
        for index, loss in enumerate(losses):
            hook.after_train_iter(runner, index, outputs=dict(loss=torch.tensor(loss)))
        hook.after_train_epoch(runner)


def make_runner(lr=1.0):
    groups = [dict(lr=lr), dict(lr=lr / 10)]
    return SimpleNamespace(
        optim_wrapper=SimpleNamespace(param_groups=groups),
        logger=SimpleNamespace(info=lambda message: None),
    )


def test_rate_halves_after_patience_epochs_without_improvement():
    hook = HOOKS.build(dict(type='EpochLossPlateauHook', factor=0.5, patience=2))
    runner = make_runner()
    run_epochs(hook, runner, [[3.0, 1.0], [1.5], [1.9], [2.0]])  # mean 2.0, then 1.5 is best
    assert runner.optim_wrapper.param_groups[0]['lr'] == 1.0  # 2 bad epochs: not yet
    run_epochs(hook, runner, [[1.6]])  # the third bad epoch
    assert [g['lr'] for g in runner.optim_wrapper.param_groups] == [0.5, 0.05]
    run_epochs(hook, runner, [[1.0]])  # improvement resets the count
    assert hook.best == 1.0 and hook.bad_epochs == 0


def test_state_survives_a_checkpoint():
    hook = HOOKS.build(dict(type='EpochLossPlateauHook'))
    run_epochs(hook, make_runner(), [[2.0], [3.0]])
    checkpoint = {}
    hook.before_save_checkpoint(None, checkpoint)
    restored = HOOKS.build(dict(type='EpochLossPlateauHook'))
    restored.after_load_checkpoint(None, checkpoint)
    assert (restored.best, restored.bad_epochs) == (2.0, 1)

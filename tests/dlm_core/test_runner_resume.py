"""The MMEngine Runner around the core: resume is exact, checkpoints are small and safe."""

import copy
import os.path as osp
import subprocess
import sys

import pytest
import torch
import toy_task  # noqa: F401
from mmengine.config import Config
from mmengine.runner import Runner

from dlm_core.compat.safe_checkpoint import load_checkpoint_file
from dlm_core.prompt_io import load_prompt_file

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

TOY_MODEL = dict(
    type='MultiTaskPromptModel',
    primary=dict(type='ToyTask', in_dim=16, dim=32, depth=4, num_classes=3),
    auxiliaries=dict(aux=dict(type='ToyTask', in_dim=16, dim=24, depth=2, num_classes=2)),
    mapper=dict(type='DoubleLayerMapper', num_prompts=4, reduction=4, adapter_reduction=4),
)


def toy_config(work_dir, max_epochs, model=TOY_MODEL, hook=True):
    loader = dict(
        batch_size=8,
        num_workers=0,
        collate_fn=dict(type='default_collate'),
        sampler=dict(type='DefaultSampler', shuffle=True),
        dataset=dict(type='ToyTokenDataset', num_samples=48, seed=0),
    )
    val_loader = copy.deepcopy(loader)
    val_loader['sampler']['shuffle'] = False
    val_loader['dataset']['seed'] = 1
    return Config(
        dict(
            default_scope='dlm',
            work_dir=str(work_dir),
            model=copy.deepcopy(model),
            train_dataloader=loader,
            val_dataloader=val_loader,
            val_evaluator=dict(type='ToyAccuracy'),
            train_cfg=dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs),
            val_cfg=dict(),
            optim_wrapper=dict(optimizer=dict(type='AdamW', lr=3e-3, weight_decay=0.01)),
            # the schedule is the 2-epoch run's in both halves of the interrupted run
            param_scheduler=[
                dict(type='CosineAnnealingLR', T_max=2, begin=0, end=2, by_epoch=True)
            ],
            default_hooks=dict(
                checkpoint=dict(type='CheckpointHook', interval=1),
                logger=dict(type='LoggerHook', interval=1),
            ),
            custom_hooks=[dict(type='PromptCheckpointHook')] if hook else [],
            randomness=dict(seed=0),
            log_level='WARNING',
        )
    )


def trained_tensors(runner):
    return {k: v.clone() for k, v in runner.model.trained_state_dict().items()}


@pytest.mark.parametrize('hook', [True, False], ids=['trainable-only', 'full-checkpoint'])
def test_resume_equals_uninterrupted_run(tmp_path, hook):
    straight = Runner.from_cfg(toy_config(tmp_path / 'straight', 2, hook=hook))
    straight.train()
    expected = trained_tensors(straight)

    first = Runner.from_cfg(toy_config(tmp_path / 'resumed', 1, hook=hook))
    first.train()
    resumed_cfg = toy_config(tmp_path / 'resumed', 2, hook=hook)
    resumed_cfg.resume = True
    resumed = Runner.from_cfg(resumed_cfg)
    resumed.train()
    got = trained_tensors(resumed)

    assert set(got) == set(expected)
    for name in expected:
        torch.testing.assert_close(got[name], expected[name], rtol=0, atol=0, msg=name)
    assert int(got['ema_steps']) == 2 * 6


def test_checkpoints_hold_only_trained_tensors_and_load_weights_only(tmp_path):
    runner = Runner.from_cfg(toy_config(tmp_path, 1))
    runner.train()
    checkpoint = load_checkpoint_file(str(tmp_path / 'epoch_1.pth'))
    trained = set(runner.model.trained_state_dict())
    assert set(checkpoint['state_dict']) == trained
    assert all(k.startswith(('mapper.', 'ema_')) for k in trained)
    # the message hub was pickled without numpy: no numpy global is needed to load it
    with open(tmp_path / 'epoch_1.pth', 'rb') as handle:
        assert b'numpy' not in handle.read()
    for name in ('prompts_epoch_1.pth', 'prompts_latest.pth'):
        payload = load_prompt_file(str(tmp_path / name))
        assert payload['prompts'].shape == (4, 32)
        assert payload['prompt_layer'] == 2
        assert set(payload['trained']) == trained


def test_export_prompts_tool_reproduces_the_hook_file(tmp_path):
    cfg = toy_config(tmp_path, 1)
    runner = Runner.from_cfg(cfg)
    runner.train()
    cfg_path = tmp_path / 'toy_cfg.py'
    cfg.dump(str(cfg_path))
    out = tmp_path / 'exported.pth'
    code = (
        f'import sys; sys.path.insert(0, {osp.join(ROOT, "tests")!r}); import toy_task; '
        f'sys.argv = ["export", {str(cfg_path)!r}, {str(tmp_path / "epoch_1.pth")!r}, '
        f'"--out", {str(out)!r}]; import runpy; '
        f'runpy.run_path({osp.join(ROOT, "tools", "export_prompts.py")!r}, run_name="__main__")'
    )
    subprocess.run([sys.executable, '-c', code], check=True, cwd=ROOT)
    exported = load_prompt_file(str(out))
    saved = load_prompt_file(str(tmp_path / 'prompts_epoch_1.pth'))
    assert torch.equal(exported['prompts'], saved['prompts'])

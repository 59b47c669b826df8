"""Testing a prompt-tuning run: its checkpoint holds trained tensors only, so the log names
where each frozen model came from in one line instead of listing every frozen tensor as a
missing key; static inference without trained prompts is one ``error:`` line."""

from __future__ import annotations

import glob
import shutil

import pytest
import torch

from tests.helpers.tool_runs import TOY_DATASET, fails, toy_model, write_config
from tests.helpers.toy_runs import toy_loader
from tests.helpers.toy_task import ToyTaskModel
from tools import test as test_tool
from tools import train as train_tool

LOADER = toy_loader(TOY_DATASET, 4, shuffle=False)


def toy_run(tmp_path, infer_mode='static') -> str:
    """A toy DLM run whose primary and auxiliary load their own (single-task) checkpoints."""
    checkpoints = {}
    for name, (dim, depth, classes) in dict(primary=(32, 4, 3), aux=(24, 2, 2)).items():
        path = tmp_path / f'{name}.pth'
        torch.save({'state_dict': ToyTaskModel(16, dim, depth, classes).state_dict()}, path)
        checkpoints[name] = str(path)
    model = toy_model(
        primary=dict(type='ToyTask', in_dim=16, dim=32, depth=4, num_classes=3,
                     checkpoint=checkpoints['primary']),
        auxiliaries=dict(aux=dict(type='ToyTask', in_dim=16, dim=24, depth=2, num_classes=2,
                                  checkpoint=checkpoints['aux'])),
        infer_mode=infer_mode,
    )  # fmt: skip
    return write_config(
        tmp_path,
        model=model,
        test_dataloader=LOADER,
        test_evaluator=dict(type='ToyAccuracy'),
        test_cfg=dict(type='TestLoop'),
        custom_hooks=[dict(type='dlm.PromptCheckpointHook')],
        log_level='INFO',
    )


def run_log(work_dir) -> str:
    logs = sorted(glob.glob(str(work_dir / '*' / '*.log')))
    assert logs, f'no log file under {work_dir}'
    with open(logs[-1]) as handle:
        return handle.read()


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp('trained')
    config = toy_run(tmp_path)
    train_tool.main([config, '--work-dir', str(tmp_path / 'train')])
    return tmp_path, config, str(tmp_path / 'train' / 'epoch_1.pth')


def test_the_trained_checkpoint_holds_no_frozen_tensor(trained):
    _, _, checkpoint = trained
    state = torch.load(checkpoint, weights_only=True)['state_dict']
    assert not any(key.startswith(('primary.', 'auxiliaries.')) for key in state)
    assert int(state['ema_steps']) > 0


def test_testing_it_logs_one_line_per_source_and_no_missing_keys(trained):
    tmp_path, config, checkpoint = trained
    work_dir = tmp_path / 'test'
    # MMEngine keys its loggers by config name and start second: a config name of its own
    # gives this run its own log file even when it starts in the training run's second
    testing = tmp_path / 'toy_testing_run.py'
    shutil.copy(config, testing)
    metrics = test_tool.main([str(testing), checkpoint, '--work-dir', str(work_dir)])
    assert 'accuracy' in metrics
    log = run_log(work_dir)
    assert 'missing keys' not in log.lower()
    lines = [
        line for line in log.splitlines() if 'frozen models from their own checkpoints' in line
    ]
    assert len(lines) == 1, log
    assert f'from {checkpoint}' in lines[0]
    assert f'primary ToyTask <- {tmp_path / "primary.pth"}' in lines[0]
    assert f'auxiliary aux ToyTask <- {tmp_path / "aux.pth"}' in lines[0]


def test_the_loaded_model_predicts_with_the_trained_prompts(trained):
    """Loading through the one-line path still loads: static and dynamic differ from the
    untrained model and static equals the checkpoint's moving average."""
    tmp_path, config, checkpoint = trained
    from dlm_core.run_config import load_run_config
    from dlm_core.validation import build_runner, validate_run

    cfg = load_run_config(config, str(tmp_path / 'load'))
    cfg.load_from = checkpoint
    runner = build_runner(cfg, validate_run(cfg, 'test'))
    runner.load_checkpoint(checkpoint)
    state = torch.load(checkpoint, weights_only=True)['state_dict']
    assert torch.equal(runner.model.ema_prompts, state['ema_prompts'])
    assert torch.equal(runner.model.inference_prompts(), state['ema_prompts'])


def test_static_inference_without_a_checkpoint_is_one_error_line(capsys, tmp_path):
    config = toy_run(tmp_path, infer_mode='static')
    work_dir = tmp_path / 'work'
    message = fails(capsys, test_tool, [config, '--work-dir', str(work_dir)])
    assert message.startswith("error: model.infer_mode='static'")
    assert 'no checkpoint was given' in message
    assert 'model.infer_mode=dynamic' in message
    assert not work_dir.exists()


def test_static_inference_with_an_untrained_checkpoint_is_one_error_line(capsys, tmp_path):
    config = toy_run(tmp_path, infer_mode='static')
    untrained = tmp_path / 'untrained.pth'
    torch.save({'state_dict': {'ema_steps': torch.zeros((), dtype=torch.long)}}, untrained)
    message = fails(capsys, test_tool, [config, str(untrained), '--work-dir', str(tmp_path / 'w')])
    assert f'checkpoint {untrained} holds none' in message


def test_dynamic_inference_without_a_checkpoint_runs(tmp_path):
    config = toy_run(tmp_path, infer_mode='dynamic')
    metrics = test_tool.main([config, '--work-dir', str(tmp_path / 'work')])
    assert 0.0 <= metrics['accuracy'] <= 100.0

"""The MMEngine Runner around the core: resume is exact, checkpoints are small and safe."""

import subprocess
import sys

import pytest
import torch
from mmengine.runner import Runner

from dlm_core.compat.safe_checkpoint import load_checkpoint_file
from dlm_core.prompt_io import load_prompt_file
from tests.helpers import toy_task  # noqa: F401
from tests.helpers.paths import ROOT, repo_env
from tests.helpers.toy_runs import toy_config


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
        'import tests.helpers.toy_task; from tools.export_prompts import main; '
        f'main([{str(cfg_path)!r}, {str(tmp_path / "epoch_1.pth")!r}, "--out", {str(out)!r}])'
    )
    subprocess.run([sys.executable, '-c', code], check=True, cwd=ROOT, env=repo_env())
    exported = load_prompt_file(str(out))
    saved = load_prompt_file(str(tmp_path / 'prompts_epoch_1.pth'))
    assert torch.equal(exported['prompts'], saved['prompts'])

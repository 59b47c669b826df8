"""Never lose a run: atomic checkpoints, NaN stops, kill-and-resume, two-process training."""

import os
import os.path as osp
import socket
import subprocess
import sys

import pytest
import torch

from dlm_core.atomic_backend import AtomicLocalBackend
from dlm_core.compat.safe_checkpoint import load_checkpoint_file
from tests.helpers.paths import ROOT, repo_env
from tests.helpers.toy_runs import toy_run_text

TOY_CONFIG = toy_run_text(batch_size=8, num_samples=48, max_epochs=3, lr=3e-3, rest="""
    param_scheduler = [dict(type='CosineAnnealingLR', T_max=3, begin=0, end=3, by_epoch=True)]
    default_hooks = dict(logger=dict(interval=1), checkpoint=dict(max_keep_ckpts=5))
    custom_hooks = [
        dict(type='PromptCheckpointHook'), dict(type='KillAtIterationHook', iteration=0),
        dict(type='PoisonLossHook', iteration=0), dict(type='SaveTrainedTensorsHook')]
    env_cfg = dict(dist_cfg=dict(backend='gloo'))
    log_level = 'WARNING'
""")  # fmt: skip


@pytest.fixture
def toy_config(tmp_path):
    path = tmp_path / 'toy_dlm.py'
    path.write_text(TOY_CONFIG)
    return str(path)


def train(config, work_dir, *options, launcher=None):
    env = repo_env()
    command = [
        sys.executable,
        osp.join(ROOT, 'tools', 'train.py'),
        config,
        '--work-dir',
        str(work_dir),
        *options,
    ]
    if launcher:
        command = launcher + command[1:] + ['--launcher', 'pytorch']
    return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)


def trained(path):
    return load_checkpoint_file(str(path))['state_dict']


def test_atomic_backend_keeps_the_old_file_when_a_write_fails(tmp_path, monkeypatch):
    target = tmp_path / 'epoch_1.pth'
    backend = AtomicLocalBackend()
    backend.put(b'good', target)

    def disk_full(fd):
        raise OSError('disk full')

    monkeypatch.setattr('dlm_core.atomic_backend.os.fsync', disk_full)
    with pytest.raises(OSError, match='disk full'):
        backend.put(b'bad and half written', target)
    monkeypatch.undo()
    assert target.read_bytes() == b'good'
    assert os.listdir(tmp_path) == ['epoch_1.pth']
    backend.put_text('epoch_1.pth', tmp_path / 'last_checkpoint')
    assert (tmp_path / 'last_checkpoint').read_text() == 'epoch_1.pth'


@pytest.mark.slow
def test_nan_loss_stops_the_run_naming_the_iteration(toy_config, tmp_path):
    result = train(toy_config, tmp_path, '--cfg-options', 'custom_hooks.2.iteration=9')
    assert result.returncode != 0
    assert 'FloatingPointError: loss = nan at iteration 9 (epoch 2)' in result.stderr
    assert 'Last good checkpoint: ' in result.stderr and 'epoch_1.pth' in result.stderr
    assert sorted(f for f in os.listdir(tmp_path) if f.endswith('.pth')) == [
        'epoch_1.pth',
        'prompts_epoch_1.pth',
        'prompts_latest.pth',
    ]
    assert all(torch.isfinite(v.float()).all() for v in trained(tmp_path / 'epoch_1.pth').values())


@pytest.mark.slow
def test_a_run_killed_mid_epoch_resumes_to_the_same_result(toy_config, tmp_path):
    straight = train(toy_config, tmp_path / 'straight')
    assert straight.returncode == 0, straight.stderr[-3000:]

    killed = train(toy_config, tmp_path / 'killed', '--cfg-options', 'custom_hooks.1.iteration=9')
    assert killed.returncode == -9  # SIGKILL in epoch 2 (6 iterations an epoch)
    assert not [f for f in os.listdir(tmp_path / 'killed') if f.startswith('.tmp-')]
    resumed = train(toy_config, tmp_path / 'killed', '--resume')
    assert resumed.returncode == 0, resumed.stderr[-3000:]

    expected, got = (
        trained(tmp_path / 'straight' / 'epoch_3.pth'),
        trained(tmp_path / 'killed' / 'epoch_3.pth'),
    )
    assert set(expected) == set(got)
    for name in expected:
        torch.testing.assert_close(got[name], expected[name], rtol=0, atol=0, msg=name)


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_two_processes_keep_the_same_mapper_weights(toy_config, tmp_path):
    launcher = [
        sys.executable,
        '-m',
        'torch.distributed.run',
        '--nproc_per_node=2',
        f'--master_port={free_port()}',
    ]
    result = train(
        toy_config, tmp_path, '--cfg-options', 'train_cfg.max_epochs=1', launcher=launcher
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rank0 = torch.load(tmp_path / 'trained_rank0.pth', weights_only=True)
    rank1 = torch.load(tmp_path / 'trained_rank1.pth', weights_only=True)
    assert set(rank0) == set(rank1) and any(k.startswith('mapper.') for k in rank0)
    for name in rank0:
        assert torch.equal(rank0[name], rank1[name]), name
    # 48 samples, 8 a batch on each of 2 ranks: 3 steps, each rank seeing its own half
    assert int(rank0['ema_steps']) == 3

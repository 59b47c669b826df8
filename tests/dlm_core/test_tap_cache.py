"""The tap cache in training: same training with it as without, rebuilt when its inputs
change, off (and saying why) when the pipeline is random; shared by two processes."""

import copy
import json
import logging
import os.path as osp
import socket
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from dlm_core.registry import HOOKS, TASKS, build_from
from dlm_core.run_config import load_run_config
from tests.helpers import toy_pipeline  # noqa: F401  (registers ToyScale, ToyJitter, ...)
from tests.helpers.paths import ROOT, RUNTIME, repo_env
from tests.helpers.toy_runs import TOY_MODEL as MODEL
from tests.helpers.toy_runs import toy_loader

AUX = MODEL['auxiliaries']['aux']
LOSSES: dict[str, list[float]] = {}


@HOOKS.register_module()
class RecordLossHook(Hook):
    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        LOSSES.setdefault(runner.work_dir, []).append(float(outputs['loss']))


def config(work_dir, epochs=3, shuffle=False, tap_cache=True, pipeline=None, aux=AUX):
    model = copy.deepcopy(MODEL)
    model['auxiliaries'] = dict(aux=aux)
    if tap_cache:
        model['tap_cache'] = dict(enabled=True) if tap_cache is True else tap_cache
    dataset = dict(type='ToyTokenDataset', num_samples=24, seed=0)
    if pipeline is not None:
        dataset = dict(type='ToyPipelineDataset', num_samples=24, seed=0, pipeline=pipeline)
    return Config(
        dict(
            default_scope='dlm',
            work_dir=str(work_dir),
            model=model,
            train_dataloader=toy_loader(dataset, 8, shuffle),
            train_cfg=dict(by_epoch=True, max_epochs=epochs),
            optim_wrapper=dict(optimizer=dict(type='AdamW', lr=3e-3, weight_decay=0.01)),
            default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=100)),
            custom_hooks=[dict(type='TapCacheHook'), dict(type='RecordLossHook')],
            randomness=dict(seed=0),
            log_level='INFO',
        )
    )


class Messages(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())

    def cache_lines(self):
        return [line for line in self.lines if line.startswith('tap cache:')]


def train(cfg):
    """Train; return the runner, its tap-cache log lines and the calls of the auxiliary's
    first layer and of the primary's first layer."""
    LOSSES.pop(cfg.work_dir, None)
    runner = Runner.from_cfg(cfg)
    messages = Messages()
    runner.logger.addHandler(messages)
    calls = dict(aux=0, primary=0)
    model = runner.model

    def count(name):
        def hook(module, args, output):
            calls[name] += 1

        return hook

    model.auxiliaries['aux'].model.layers[0].register_forward_hook(count('aux'))
    model.primary.model.layers[0].register_forward_hook(count('primary'))
    try:
        runner.train()
    finally:
        runner.logger.removeHandler(messages)
    return runner, messages.cache_lines(), calls


@pytest.mark.parametrize('shuffle', [False, True], ids=['in-order', 'shuffled'])
def test_training_with_the_cache_equals_training_without(tmp_path, shuffle):
    plain, lines, plain_calls = train(config(tmp_path / 'plain', shuffle=shuffle, tap_cache=None))
    assert lines == []
    cached, lines, calls = train(config(tmp_path / 'cached', shuffle=shuffle))
    assert any('tap cache: on (deterministic pipeline)' in line and 'new' in line for line in lines)
    assert any('keyed by their content' in line for line in lines)
    want, got = LOSSES[str(tmp_path / 'plain')], LOSSES[str(tmp_path / 'cached')]
    assert len(got) == len(want) == 9
    if shuffle:  # batches of other samples than the stored ones: rounding may differ
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
    else:
        assert got == want
    for name, tensor in plain.model.trained_state_dict().items():
        torch.testing.assert_close(cached.model.trained_state_dict()[name], tensor, msg=name)
    # the frozen lower halves ran in the first epoch only; the primary's upper half always
    assert plain_calls == dict(aux=9, primary=9)
    assert calls == dict(aux=3, primary=3)
    cache = cached.model.tap_cache
    assert (cache.misses, cache.hits) == (24, 48)
    assert osp.isfile(tmp_path / 'cached' / 'tap_cache' / 'manifest.json')
    # what the cache serves is what the frozen models compute, for every sample
    model, dataset = cached.model, cached.train_dataloader.dataset
    inputs = torch.stack([dataset[i]['inputs'] for i in range(len(dataset))])
    labels = torch.stack([dataset[i]['data_samples'] for i in range(len(dataset))])
    state, taps = model.frozen_lower_half(inputs, labels)

    def recompute():
        raise AssertionError('the cache should serve every sample')

    stored, stored_taps = cache.fetch(inputs, labels, model.primary, recompute, torch.device('cpu'))
    torch.testing.assert_close(stored.tokens, state.tokens, rtol=1e-6, atol=1e-6)
    assert len(stored_taps) == len(taps) == 1
    torch.testing.assert_close(stored_taps[0], taps[0], rtol=1e-6, atol=1e-6)


def _save_aux_checkpoint(path, seed):
    torch.manual_seed(seed)
    aux = build_from(TASKS, AUX)
    torch.save({'state_dict': aux.model.state_dict()}, path)


def test_a_changed_checkpoint_or_pipeline_rebuilds_the_cache(tmp_path):
    checkpoint = tmp_path / 'aux.pth'
    _save_aux_checkpoint(checkpoint, seed=1)
    aux = dict(AUX, checkpoint=str(checkpoint))
    work_dir = tmp_path / 'run'
    pipeline = [dict(type='ToyScale', factor=1.0)]

    runner, lines, _ = train(config(work_dir, epochs=1, pipeline=pipeline, aux=aux))
    assert any('on (deterministic pipeline)' in line and ': new;' in line for line in lines)
    assert runner.model.tap_cache.misses == 24

    runner, lines, calls = train(config(work_dir, epochs=1, pipeline=pipeline, aux=aux))
    assert any('24 stored samples reused' in line for line in lines)
    assert (runner.model.tap_cache.misses, runner.model.tap_cache.hits) == (0, 24)
    assert calls == dict(aux=0, primary=0)

    _save_aux_checkpoint(checkpoint, seed=2)
    runner, lines, calls = train(config(work_dir, epochs=1, pipeline=pipeline, aux=aux))
    assert any('rebuilt, because auxiliary aux changed' in line for line in lines), lines
    assert runner.model.tap_cache.misses == 24
    assert calls['aux'] == 3

    changed = [dict(type='ToyScale', factor=2.0)]
    runner, lines, _ = train(config(work_dir, epochs=1, pipeline=changed, aux=aux))
    assert any('rebuilt, because pipeline changed' in line for line in lines), lines
    assert runner.model.tap_cache.misses == 24

    cfg = config(work_dir, epochs=1, pipeline=changed, aux=aux)
    cfg.model.prompt_layer = 1
    runner, lines, _ = train(cfg)
    assert any('rebuilt, because primary changed' in line for line in lines), lines


def test_a_random_pipeline_turns_the_cache_off_and_says_why(tmp_path):
    cfg = config(tmp_path / 'random', epochs=2, pipeline=[dict(type='ToyJitter')])
    runner, lines, calls = train(cfg)
    assert lines == [
        'tap cache: off: the train pipeline is random: ToyJitter is a random augmentation. '
        'Set model.tap_cache.fixed_view=True to reuse the first view of each sample in later '
        'epochs anyway'
    ]
    assert not runner.model.tap_cache.active
    assert calls == dict(aux=6, primary=6)
    assert not osp.exists(tmp_path / 'random' / 'tap_cache')


def test_the_run_config_adds_the_hook_for_a_model_with_a_tap_cache(tmp_path):
    path = tmp_path / 'cfg.py'
    path.write_text(f'model = {dict(MODEL, tap_cache=dict(enabled=True))!r}\n')
    assert load_run_config(str(path)).custom_hooks == [dict(type='dlm.TapCacheHook')]
    path.write_text(f'model = {MODEL!r}\n')
    assert 'custom_hooks' not in load_run_config(str(path))


COUNTS_HOOK = """
import json, os
from mmengine.hooks import Hook
from dlm_core.registry import HOOKS


@HOOKS.register_module()
class SaveTapCacheCountsHook(Hook):
    def after_train(self, runner):
        model = runner.model.module if hasattr(runner.model, 'module') else runner.model
        counts = dict(hits=model.tap_cache.hits, misses=model.tap_cache.misses)
        with open(os.path.join(runner.work_dir, f'counts_rank{runner.rank}.json'), 'w') as f:
            json.dump(counts, f)
"""


@pytest.mark.slow
def test_two_processes_share_one_cache(tmp_path):
    """Each rank stores the samples it sees; a shuffled later epoch reads the other's."""
    (tmp_path / 'tap_cache_counts.py').write_text(COUNTS_HOOK)
    config = tmp_path / 'toy_dlm.py'
    config.write_text(
        f'_base_ = [{RUNTIME!r}]\n'
        "custom_imports = dict(imports=['tests.helpers.toy_task', 'tap_cache_counts'])\n"
        "default_scope = 'dlm'\n"
        f'model = {dict(MODEL, tap_cache=dict(enabled=True))!r}\n'
        'train_dataloader = dict(batch_size=8, num_workers=0, '
        "collate_fn=dict(type='default_collate'), "
        "sampler=dict(type='DefaultSampler', shuffle=True), "
        "dataset=dict(type='ToyTokenDataset', num_samples=48, seed=0))\n"
        'train_cfg = dict(by_epoch=True, max_epochs=3, val_interval=10)\n'
        "optim_wrapper = dict(optimizer=dict(type='AdamW', lr=3e-3))\n"
        "custom_hooks = [dict(type='SaveTapCacheCountsHook'), "
        "dict(type='SaveTrainedTensorsHook')]\n"
        "env_cfg = dict(dist_cfg=dict(backend='gloo'))\n"
    )
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    env = repo_env(tmp_path, OMP_NUM_THREADS='1')
    command = [
        sys.executable,
        '-m',
        'torch.distributed.run',
        '--nproc_per_node=2',
        f'--master_port={port}',
        osp.join(ROOT, 'tools', 'train.py'),
        str(config),
        '--work-dir',
        str(tmp_path / 'work'),
        '--launcher',
        'pytorch',
    ]
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    counts = [json.loads((tmp_path / 'work' / f'counts_rank{r}.json').read_text()) for r in (0, 1)]
    # 48 samples, 24 a rank an epoch: each stored once, then read twice, by either rank
    assert sum(c['misses'] for c in counts) == 48
    assert sum(c['hits'] for c in counts) == 96
    assert sorted(p.name for p in (tmp_path / 'work' / 'tap_cache').iterdir()) == [
        'manifest.json',
        'shard_0',
        'shard_1',
    ]
    rank0 = torch.load(tmp_path / 'work' / 'trained_rank0.pth', weights_only=True)
    rank1 = torch.load(tmp_path / 'work' / 'trained_rank1.pth', weights_only=True)
    for name in rank0:
        assert torch.equal(rank0[name], rank1[name]), name

"""docs/adding_a_task.md stays true: its Python blocks, written out as the files they name,
make a task package that registers, trains with tools/train.py, and plugs into DLM models
as the primary and as an auxiliary."""

from __future__ import annotations

import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

from tests.helpers.paths import ROOT

DOC = osp.join(ROOT, 'docs', 'adding_a_task.md')
BLOCK = re.compile(r'```python\n(.*?)```', re.S)
HEADER = '# file: '

# Run inside the workspace: builds the plugin and both DLM models of the page, prints JSON.
CHECKS = textwrap.dedent("""
    import json
    import math

    import torch
    from mmengine.dataset import default_collate

    import dlm_core
    from dlm_core.run_config import load_run_config
    from dlm_core.tasks import build_task
    from dlm_core.validation import validate_run

    out = {}

    # the plugin, from the single-task config it wraps (loads the trained checkpoint)
    speed_cfg = dict(type='tasks_speed.SpeedTask', task_config='configs/tasks/speed_demo.py')
    plugin = build_task(speed_cfg)
    plugin.load_checkpoint()
    out['geometry'] = [plugin.embed_dim, plugin.num_layers, plugin.tap_layer]
    foreign = dict(frames=torch.rand(2, 12, 3, 48, 40))  # another task's clip
    out['tap'] = list(plugin.tap(plugin.view(foreign)).shape)

    # the task as the primary; the SSv2 recognizer untrained here (shapes only)
    cfg = load_run_config('configs/dlm/speed_ssv2.py', 'work_dirs/unused')
    cfg.model.auxiliaries.ssv2.checkpoint = None
    run = validate_run(cfg, 'train')
    model = run.model
    batch = default_collate([run.datasets[0][1][i] for i in range(4)])
    data = model.data_preprocessor(batch, True)
    model.train()
    out['aux_taps'] = [list(t.shape) for t in model.auxiliary_taps(**data)]
    losses = model(**data, mode='loss')
    loss = sum(losses.values())
    out['loss_finite'] = math.isfinite(float(loss))
    loss.backward()
    out['with_grad'] = sorted(
        {n.split('.')[0] for n, p in model.named_parameters() if p.grad is not None}
    )
    out['primary_frozen'] = all(p.grad is None for p in model.primary.parameters())

    # the task as an auxiliary of the SSv2 recognizer (untrained primary, shapes only)
    cfg = load_run_config('configs/dlm/ssv2_speed.py', 'work_dirs/unused')
    cfg.model.primary.checkpoint = None
    from mmengine.registry import MODELS, DefaultScope
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
    speed = model.auxiliaries['speed']
    tap = speed.tap(speed.view(foreign))
    out['prompts'] = list(model.mapper([tap], 2).shape)
    out['primary_width'] = model.primary.embed_dim
    print('CHECKS ' + json.dumps(out))
""")


def doc_files() -> dict[str, str]:
    """``{path: text}`` of the page's Python blocks (each names its file first)."""
    with open(DOC) as handle:
        blocks = BLOCK.findall(handle.read())
    files = {}
    for block in blocks:
        first, _, body = block.partition('\n')
        assert first.startswith(HEADER), f'a python block of {DOC} must start with {HEADER!r}'
        files[first[len(HEADER) :].strip()] = body
    return files


def run(workspace, *command, expect=0):
    # the workspace first, then the packages under test (the caller's PYTHONPATH, if any)
    path = os.pathsep.join(filter(None, [str(workspace), os.environ.get('PYTHONPATH')]))
    env = dict(os.environ, PYTHONPATH=path, OMP_NUM_THREADS='1')
    result = subprocess.run(
        [sys.executable, *command], cwd=workspace, env=env, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert result.returncode == expect, (result.stdout + result.stderr)[-4000:]
    return result


@pytest.fixture(scope='module')
def workspace(tmp_path_factory):
    """The repository's configs plus the page's files, with the demo data and a trained
    single-task model."""
    root = tmp_path_factory.mktemp('speed_task')
    shutil.copytree(osp.join(ROOT, 'configs'), root / 'configs')
    for path, text in doc_files().items():
        os.makedirs(osp.dirname(root / path), exist_ok=True)
        (root / path).write_text(text)
    run(root, '-m', 'tasks_speed.demo', '--root', 'data/speed')
    result = run(
        root,
        osp.join(ROOT, 'tools', 'train.py'),
        'configs/tasks/speed_demo.py',
        '--cfg-options',
        'train_cfg.max_epochs=2',
        'train_cfg.val_interval=2',
        'default_hooks.checkpoint.interval=2',
    )
    return root, result.stdout + result.stderr


def test_the_page_names_every_file_of_the_package():
    assert set(doc_files()) == {
        'tasks_speed/registry.py',
        'tasks_speed/model.py',
        'tasks_speed/dataset.py',
        'tasks_speed/metric.py',
        'tasks_speed/plugin.py',
        'tasks_speed/__init__.py',
        'tasks_speed/demo.py',
        'configs/tasks/speed_demo.py',
        'configs/dlm/speed_ssv2.py',
        'configs/dlm/ssv2_speed.py',
    }


def test_single_task_training_writes_the_checkpoint_and_the_metric(workspace):
    root, log = workspace
    assert (root / 'data' / 'speed' / 'train.txt').read_text().count('\n') == 48
    assert (root / 'work_dirs' / 'speed_demo' / 'last_checkpoint').is_file()
    assert re.search(r'speed/top1: \d+\.\d+', log)


def test_plugin_and_dlm_models(workspace):
    root, _ = workspace
    (root / 'checks.py').write_text(CHECKS)
    result = run(root, 'checks.py')
    (line,) = [x for x in result.stdout.splitlines() if x.startswith('CHECKS ')]
    out = json.loads(line[len('CHECKS ') :])
    assert out['geometry'] == [48, 4, 2]
    assert out['tap'] == [2, 128, 48]  # 8 tubelets x 4 x 4 patches of width 48
    assert out['aux_taps'] == [[4, 64, 96]]  # the SSv2 ViT's middle tokens of each clip
    assert out['loss_finite'] and out['primary_frozen']
    assert out['with_grad'] == ['mapper']
    assert out['prompts'] == [2, 8, 96] and out['primary_width'] == 96


def test_missing_auxiliary_checkpoint_stops_the_dlm_run_before_it_starts(workspace):
    root, _ = workspace
    result = run(root, osp.join(ROOT, 'tools', 'train.py'), 'configs/dlm/speed_ssv2.py', expect=2)
    assert result.stderr.strip().splitlines()[-1] == (
        'error: model: ActionRecognitionTask: checkpoint work_dirs/ssv2_demo does not exist; '
        'produce it with: python tools/train.py configs/tasks/ssv2_demo.py'
    )
    assert not (root / 'work_dirs' / 'speed_ssv2').exists()


def test_dataset_errors_name_the_file_and_line(workspace):
    root, _ = workspace
    listing = root / 'data' / 'speed' / 'bad.txt'
    listing.write_text('train_0000.npy 0\ntrain_0001.npy 5\n')
    result = run(
        root,
        osp.join(ROOT, 'tools', 'train.py'),
        'configs/tasks/speed_demo.py',
        '--work-dir',
        'work_dirs/bad',
        '--cfg-options',
        'train_dataloader.dataset.ann_file=bad.txt',
        expect=2,
    )
    assert result.stderr.strip().splitlines()[-1] == (
        'error: train_dataloader.dataset: data/speed/bad.txt, line 2: label 5 is outside the '
        "classes ('slow', 'normal', 'fast') (0-based)"
    )
    assert not (root / 'work_dirs' / 'bad').exists()

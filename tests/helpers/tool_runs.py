"""Small runs for the tools' tests: the toy DLM model's run written as a config file, and
``fails``, which runs a tool's ``main`` and expects exit status 2 with one error line, and
``run_script``, which runs a tool as a user types it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.helpers.paths import RUNTIME


def toy_model(**changes) -> dict:
    model = dict(
        type='dlm.MultiTaskPromptModel',
        primary=dict(type='ToyTask', in_dim=16, dim=32, depth=4, num_classes=3),
        auxiliaries=dict(aux=dict(type='ToyTask', in_dim=16, dim=24, depth=2, num_classes=2)),
        mapper=dict(type='DoubleLayerMapper', num_prompts=4, reduction=4, adapter_reduction=4),
    )
    model.update(changes)
    return model


TOY_DATASET = dict(type='dlm.ToyTokenDataset', num_samples=16, seed=0)


def write_config(tmp_path, model=None, dataset=None, scope='dlm', **top) -> str:
    """A run of the toy DLM model on ``dataset`` (default: toy tokens), in ``scope``."""
    fields = dict(
        custom_imports=dict(
            imports=[
                'tests.helpers.toy_task',
                'tasks_segmentation',
                'tasks_detection',
                'tasks_recognition',
            ],
            allow_failed_imports=False,
        ),
        default_scope=scope,
        model=model or toy_model(),
        train_dataloader=dict(
            batch_size=4,
            num_workers=0,
            collate_fn=dict(type='default_collate'),
            sampler=dict(type='DefaultSampler', shuffle=True),
            dataset=dataset or TOY_DATASET,
        ),
        train_cfg=dict(by_epoch=True, max_epochs=1, val_interval=10),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=1e-3)),
        log_level='WARNING',
    )
    fields.update(top)
    text = f'_base_ = [{RUNTIME!r}]\n' + ''.join(f'{k} = {v!r}\n' for k, v in fields.items())
    path = tmp_path / 'run.py'
    path.write_text(text)
    return str(path)


def fails(capsys, tool, argv) -> str:
    """Run ``tool.main(argv)``; it must exit with status 2 and one ``error:`` line."""
    with pytest.raises(SystemExit) as exit_info:
        tool.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith('error: ')]
    assert len(lines) == 1, err
    assert 'Traceback' not in err
    return lines[0]


def run_script(script: str, *args) -> subprocess.CompletedProcess:
    """``python SCRIPT ARGS`` as a user types it in the repository root, on one thread."""
    return subprocess.run(
        [sys.executable, script, *args],
        capture_output=True,
        text=True,
        env=dict(os.environ, OMP_NUM_THREADS='1'),
    )

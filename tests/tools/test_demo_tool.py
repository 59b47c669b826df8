"""tools/demo.py's orchestration: which runs it starts, which it skips, what it prints.

The tools it calls are replaced by a recorder that writes what each real tool would leave
behind (checkpoints, metric files, the prompt file), so this runs in a second; the real
runs are exercised by each task's training tests and by ``make demo`` itself.
"""

from __future__ import annotations

import importlib
import json
import os
import os.path as osp
import shutil

import torch

from dlm_core.prompt_io import save_prompt_file
from tests.helpers.paths import ROOT as REPO

CONFIG = 'configs/dlm/50salads_aux5.py'


def load_demo_tool():
    return importlib.import_module('tools.demo')


def fake_checkpoint(work_dir: str) -> None:
    os.makedirs(work_dir, exist_ok=True)
    path = osp.abspath(osp.join(work_dir, 'epoch_1.pth'))
    torch.save({}, path)
    with open(osp.join(work_dir, 'last_checkpoint'), 'w') as handle:
        handle.write(path)


def test_demo_trains_what_is_missing_and_tests_both_modes(tmp_path, monkeypatch, capsys):
    shutil.copytree(osp.join(REPO, 'configs'), tmp_path / 'configs')
    monkeypatch.chdir(tmp_path)
    demo = load_demo_tool()
    monkeypatch.setattr(demo, 'ROOT', str(tmp_path))
    for task in ('ssv2', 'ava', 'thumos14', 'imagenet_vid'):  # 50salads, youtube_vis missing
        fake_checkpoint(f'work_dirs/{task}_demo')
    calls = []

    def fake_run(command):
        calls.append(command)
        tool, config = command[0], command[1] if len(command) > 1 else None
        if tool == 'tools/train.py' and config.startswith('configs/tasks/'):
            fake_checkpoint(f'work_dirs/{osp.splitext(osp.basename(config))[0]}')
        elif tool == 'tools/train.py':
            work_dir = command[command.index('--work-dir') + 1]
            fake_checkpoint(work_dir)
            save_prompt_file(
                osp.join(work_dir, 'prompts_latest.pth'),
                torch.zeros(8, 4),
                1,
                {},
                dict(trainable_percent=9.5),
            )
        elif tool == 'tools/test.py':
            dynamic = 'model.infer_mode=dynamic' in command
            static = 'model.infer_mode=static' in command
            value = 3.0 if dynamic else 2.0 if static else 1.0
            out = command[command.index('--metrics-json') + 1]
            with open(out, 'w') as handle:
                json.dump({'F1@50': value, 'Acc': value}, handle)

    monkeypatch.setattr(demo, 'run', fake_run)
    demo.main([CONFIG])

    trained = [c[1] for c in calls if c[0] == 'tools/train.py']
    assert calls[0] == ['tools/data/make_demo_data.py']
    assert trained == [
        'configs/tasks/50salads_demo.py',
        'configs/tasks/youtube_vis_demo.py',
        CONFIG,
    ]
    tests = [c for c in calls if c[0] == 'tools/test.py']
    assert [c[1] for c in tests] == ['configs/tasks/50salads_demo.py', CONFIG, CONFIG]
    assert tests[1][-1] == 'model.infer_mode=static'
    assert tests[2][-1] == 'model.infer_mode=dynamic'

    out = capsys.readouterr().out
    assert [line for line in out.splitlines() if line.startswith('[')] == [
        f'[{n}/5] {text}'
        for n, text in enumerate(
            [
                'demo data (sets already written are kept)',
                'single-task models: primary, ssv2, ava, thumos14, imagenet_vid, youtube_vis',
                'DLM training in work_dirs/50salads_aux5',
                'test split: the single-task model, then DLM in static and dynamic inference',
                'summary',
            ],
            start=1,
        )
    ]
    table = out[out.index('metric') :].splitlines()
    assert table[0].split() == ['metric', 'single', 'task', 'DLM', 'static', 'DLM', 'dynamic']
    assert table[1].split() == ['F1@50', '1.00', '2.00', '3.00']
    assert table[3].split() == ['trained', 'params', '100.00', '%', '9.50', '%', '9.50', '%']

    # a second run finds every checkpoint and trains nothing
    calls.clear()
    demo.main([CONFIG])
    assert not [c for c in calls if c[0] == 'tools/train.py']

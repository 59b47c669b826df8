"""tools/reproduce.py, the command line of dlm_bench: the dry run, and one small plan run
end to end with the tools replaced by a recorder (no model is trained)."""

from __future__ import annotations

import json
import os
import os.path as osp

from dlm_bench import cli, records
from dlm_bench.catalog import REPO

from tests.helpers.bench_runs import Recorder, annotated_repo


def test_the_tool_is_the_packages_command_line():
    with open(osp.join(REPO, 'tools', 'reproduce.py')) as handle:
        text = handle.read()
    assert 'from dlm_bench.cli import main' in text and len(text.splitlines()) < 30


def test_dry_run_prints_progress_and_each_command_once_and_writes_nothing(tmp_path, capsys):
    root = str(tmp_path / 'runs')
    assert cli.main(['--quick', '--dry-run', '--root', root]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith('9 runs (0 learning-rate candidates, 6 test evaluations)')
    commands = [
        line[len('$ python ') :] for line in out.splitlines() if line.startswith('$ python ')
    ]
    assert len(commands) == len(set(commands)) == 9 + 6
    assert 'run 9 of 9 (dlm/50salads/seed1), ETA' in out
    assert not any('--budget' in c or 'max_epochs=' in c for c in commands)
    dlm = [c for c in commands if c.startswith('tools/train.py configs/dlm/50salads_aux5.py')]
    assert len(dlm) == 2 and 'randomness.seed=1' in dlm[1]
    assert f'model.primary.checkpoint={root}/full/50salads/seed1/chosen.pth' in dlm[1]
    tests = [c for c in commands if c.startswith('tools/test.py configs/dlm/')]
    assert [c.split()[-1] for c in tests] == [
        'model.infer_mode=static',
        'model.infer_mode=dynamic',
    ] * 2
    assert not os.path.exists(root)


def test_the_full_protocol_dry_run_lists_what_waits_on_validation(tmp_path, capsys):
    cli.main(['--dry-run', '--root', str(tmp_path / 'runs'), '--primaries', 'ssv2'])
    first = capsys.readouterr().out.splitlines()[0]
    assert 'planned once the validation results exist: vpt_shallow/ssv2: learning rate' in first


def test_a_small_plan_runs_and_writes_records_and_page(tmp_path, capsys):
    repo = annotated_repo(tmp_path)
    recorder = Recorder()

    def tools(command):
        return 0 if command[0] == 'tools/data/make_demo_data.py' else recorder(command)

    argv = [
        '--quick',
        '--primaries',
        'ssv2',
        '--methods',
        'full',
        'vpt_middle',
        '--seeds',
        '0',
        '1',
    ]
    argv += ['--root', str(tmp_path / 'runs')]
    assert cli.main(argv, runner=tools, repo=repo) == 0
    found, meta = records.read(osp.join(repo, 'docs', 'results.json'))
    tests = [(r['method'], r['seed']) for r in found if r['split'] == 'test']
    assert tests == [('full', 0), ('full', 1), ('vpt_middle', 0), ('vpt_middle', 1)]
    assert meta['validation'] == {'carved': ['ssv2']}
    # the training tool saw the carved split, never the test file as validation
    train = next(c for c in recorder.calls if c[0] == 'tools/train.py')
    val = next(o for o in train if o.startswith('val_dataloader.dataset.ann_file='))
    assert val == 'val_dataloader.dataset.ann_file=data/bench/ssv2/sthv2_heldout_list_videos.txt'
    assert 'data_root=data/bench/ssv2' in train
    with open(osp.join(repo, 'docs', 'results.md')) as handle:
        page = handle.read()
    assert '## Table 1: primary tasks' in page and '| VPT-middle | 50.00 [' in page
    # a subset of the protocol says so at the top, with what it leaves out
    assert meta['scope']['missing']['primaries'] == ['ava', 'thumos14', '50salads',
                                                     'imagenet_vid', 'youtube_vis']  # fmt: skip
    scope = next(line for line in page.splitlines() if line.startswith('**Scope'))
    assert 'This page holds primaries SSv2; methods Full fine-tuning, VPT-middle;' in scope
    assert 'Not run here: primaries AVA, THUMOS14, 50Salads' in scope
    assert 'methods VPT-shallow, HPS, MVLPT, DLM-VMTL' in scope
    assert 'prompt seeds 2, 3, 4; other seeds 2' in scope
    assert meta['unfinished'] == []
    # a second invocation finds everything done; --report-only renders again
    calls = len(recorder.calls)
    assert cli.main(argv, runner=tools, repo=repo) == 0 and len(recorder.calls) == calls
    os.remove(osp.join(repo, 'docs', 'results.md'))
    assert cli.main(argv + ['--report-only'], runner=tools, repo=repo) == 0
    assert osp.isfile(osp.join(repo, 'docs', 'results.md'))
    with open(osp.join(repo, 'docs', 'results.json')) as handle:
        assert json.load(handle)['records']

"""tools/reproduce.py, the command line of dlm_bench: the dry run, and one small plan run
end to end with the tools replaced by a recorder (no model is trained)."""

from __future__ import annotations

import json
import os
import os.path as osp

import pytest
from dlm_bench import cli, merge, provenance, records
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

    written = []

    def tools(command):
        if command[0] == 'tools/data/make_demo_data.py':
            written.append(command[1:])
            return 0
        return recorder(command)

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
    root = str(tmp_path / 'runs')
    argv += ['--root', root]
    assert cli.main(argv, runner=tools, repo=repo) == 0
    assert written == [['--preset', 'bench']]  # no HPS here: the default sets are not read
    # --quick keeps its page beside its runs: the committed docs/ page stays as it is
    assert not osp.exists(osp.join(repo, 'docs'))
    found, meta = records.read(osp.join(root, 'results.json'))
    tests = [(r['method'], r['seed']) for r in found if r['split'] == 'test']
    assert tests == [('full', 0), ('full', 1), ('vpt_middle', 0), ('vpt_middle', 1)]
    assert meta['validation'] == {'carved': ['ssv2']}
    # what the numbers rest on: the bench data the runs read, the libraries
    assert meta['data'] == {'ssv2': provenance.data_digest(osp.join(repo, 'data/bench/ssv2'))}
    assert meta['machine']['libraries']['torch']
    # the training tool saw the carved split, never the test file as validation
    train = next(c for c in recorder.calls if c[0] == 'tools/train.py')
    val = next(o for o in train if o.startswith('val_dataloader.dataset.ann_file='))
    assert val == 'val_dataloader.dataset.ann_file=data/bench/ssv2/sthv2_heldout_list_videos.txt'
    assert 'data_root=data/bench/ssv2' in train
    with open(osp.join(root, 'results.md')) as handle:
        page = handle.read()
    assert '## Table 1: primary tasks' in page and '| VPT-middle | 50.00 [' in page
    assert f'(package `dlm_bench`) from `{osp.join(root, "results.json")}`.' in page
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
    os.remove(osp.join(root, 'results.md'))
    assert cli.main(argv + ['--report-only'], runner=tools, repo=repo) == 0
    assert osp.isfile(osp.join(root, 'results.md'))
    with open(osp.join(root, 'results.json')) as handle:
        assert json.load(handle)['records']


def test_quick_and_the_full_protocol_keep_their_runs_and_pages_apart():
    quick, full = cli.parse_args(['--quick']), cli.parse_args([])
    assert quick.root == 'work_dirs/reproduce_quick' and full.root == 'work_dirs/reproduce'
    assert quick.results == 'work_dirs/reproduce_quick/results.json'
    assert quick.figure == 'work_dirs/reproduce_quick/fig3_layer2.png'
    assert (full.results, full.report) == ('docs/results.json', 'docs/results.md')
    assert full.heatmap == 'docs/task_affinity.png'
    chosen = cli.parse_args(['--quick', '--root', 'r', '--results', 'x.json'])
    assert (chosen.root, chosen.results, chosen.report) == ('r', 'x.json', 'r/results.md')


def test_a_root_that_another_protocol_trained_is_refused_before_anything_runs(tmp_path, capsys):
    """--quick's SSv2 model (from scratch) under the same root as the full protocol's
    (from the foundation) has the same run name: reusing it would be a silent wrong row."""
    repo, recorder = annotated_repo(tmp_path), Recorder()

    def tools(command):
        return 0 if command[0] == 'tools/data/make_demo_data.py' else recorder(command)

    root = str(tmp_path / 'runs')
    argv = ['--primaries', 'ssv2', '--methods', 'full', '--seeds', '0', '--root', root]
    assert cli.main(['--quick', *argv], runner=tools, repo=repo) == 0
    calls = len(recorder.calls)
    capsys.readouterr()
    for extra in ([], ['--report-only']):
        assert cli.main(argv + extra, runner=tools, repo=repo) == 2
        out = capsys.readouterr().out
        assert f'error: {root} holds runs that this plan did not train' in out
        assert 'full/ssv2/seed0: trained with config configs/tasks/ssv2_demo.py (this plan: ' in out
    assert len(recorder.calls) == calls  # nothing ran, no page was written
    assert not osp.exists(osp.join(repo, 'docs'))


def test_prompt_seeds_come_after_seeds_and_the_full_runs_cover_both():
    preset = cli.preset_of(cli.parse_args(['--seeds', '0', '1', '2', '--prompt-seeds', '0', '1',
                                           '2', '3', '4']))  # fmt: skip
    assert preset.other_seeds == (0, 1, 2) and preset.prompt_seeds == (0, 1, 2, 3, 4)
    assert preset.seeds_of('dlm') == (0, 1, 2, 3, 4) and preset.seeds_of('dlm_exact') == (0, 1, 2)
    assert preset.full_seeds == (0, 1, 2, 3, 4)


def test_the_pages_command_is_the_one_that_makes_the_runs():
    argv = ['--primaries', 'ava', '--root', '/work/bench/runs', '--jobs=2', '--seeds', '0',
            '--report-only', '--merge']  # fmt: skip
    assert cli.reproducing_command(argv) == 'python tools/reproduce.py --primaries ava --seeds 0'
    assert cli.reproducing_command(['--root=x', '--quick']) == 'python tools/reproduce.py --quick'
    # parts recorded before, with their scratch root, read the same on the merged page
    old = dict(command='python tools/reproduce.py --primaries ava --root /w/r --report-only')
    assert merge.parts_of(dict(parts=[old]))[0]['command'] == (
        'python tools/reproduce.py --primaries ava'
    )


@pytest.mark.parametrize(
    'methods, presets',
    [(['full'], ['bench']), (['full', 'hps'], ['default', 'bench'])],
)
def test_the_default_demo_sets_are_written_only_for_hps(tmp_path, methods, presets):
    repo = annotated_repo(tmp_path)
    written = []

    def tools(command):
        if command[0] == 'tools/data/make_demo_data.py':
            written.append(command[2])
            return 0
        return 1  # stop at the first run

    argv = ['--quick', '--primaries', 'ssv2', '--methods', *methods, '--seeds', '0']
    cli.main([*argv, '--root', str(tmp_path / 'runs')], runner=tools, repo=repo)
    assert written == presets

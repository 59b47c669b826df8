"""tools/reproduce.py: the plan of runs, its resumability, and the results page.

No model is trained: the tools it calls are replaced by a recorder that leaves what each
real tool would leave behind (a checkpoint, a metrics file), and the page is written from
synthetic metrics and scalars files whose numbers are checked by hand.
"""

from __future__ import annotations

import importlib.util
import json
import os
import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config

from dlm_core.prompt_io import save_prompt_file

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('reproduce_tool', f'{REPO}/tools/reproduce.py')
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


@pytest.fixture
def annotated_repo(tool, tmp_path, monkeypatch):
    """A repository root under ``tmp_path`` with the real configs and, for 50Salads and
    SSv2, training and test annotation files in the demo sets' format (16 and 4 samples, a
    line each): the tuning splits are cut from files the test owns, not from data/demo."""
    repo = tmp_path / 'repo'
    repo.mkdir()
    os.symlink(osp.join(REPO, 'configs'), repo / 'configs')
    for task, line in (('50salads', 'rgb-{:02d}-1.txt'), ('ssv2', '{}.mp4 3')):
        cfg = Config.fromfile(f'{REPO}/configs/tasks/{task}_demo.py', import_custom_modules=False)
        for loader, first in ((cfg.train_dataloader, 0), (cfg.test_dataloader, 100)):
            dataset = loader.dataset
            path = repo / (dataset.get('data_root') or '') / dataset.ann_file
            path.parent.mkdir(parents=True, exist_ok=True)
            count = 16 if first == 0 else 4
            path.write_text(''.join(line.format(first + i) + '\n' for i in range(count)))
    monkeypatch.setattr(tool, 'ROOT', str(repo))
    return str(repo)


def no_blocker(config):
    return None


def make_plan(tool, root, primaries, methods, seeds, **kwargs):
    zero_shot = kwargs.pop('zero_shot', True)
    planner = tool.Planner(str(root), check_hps=kwargs.pop('check_hps', no_blocker), **kwargs)
    return planner.build(primaries, methods, seeds, zero_shot=zero_shot)


# -- the plan -----------------------------------------------------------------------------
def test_plan_orders_runs_after_what_they_need(tool, tmp_path):
    root = str(tmp_path / 'runs')
    plan = make_plan(tool, root, ['50salads', 'imagenet_vid'], ['full', 'mvlpt', 'dlm'], [0, 1])
    keys = list(plan.runs)
    for position, run in enumerate(plan.runs.values()):
        assert all(keys.index(dep) < position for dep in run.deps), run.name

    assert set(plan.table1) == {
        (method, task, seed)
        for method in ('full', 'mvlpt', 'dlm')
        for task in ('50salads', 'imagenet_vid')
        for seed in (0, 1)
    }
    runs = plan.runs
    # frozen backbones: the seed-0 full fine-tuning runs, tested only where Table 1 shows them
    assert runs[('full', '50salads', 0)].test and not runs[('full', 'ssv2', 0)].test
    assert ('full', 'ssv2', 1) not in runs
    # MVLPT starts from the VPT-shallow prompts of the next task of Table 1, same seed
    source = runs[('vpt_shallow', 'imagenet_vid', 1)]
    assert source.train and not source.test
    mvlpt = runs[('mvlpt', '50salads', 1)]
    assert source.key in mvlpt.deps
    assert mvlpt.model_options['model.mapper.init_file'] == osp.join(
        root, 'vpt_shallow', 'imagenet_vid', 'seed1', 'prompts_latest.pth'
    )
    assert runs[('mvlpt', 'imagenet_vid', 0)].model_options['model.mapper.init_file'] == (
        osp.join(root, 'vpt_shallow', 'youtube_vis', 'seed0', 'prompts_latest.pth')
    )
    # DLM: every frozen model from the seed-0 runs; denser validation for Fig. 3
    dlm = runs[('dlm', '50salads', 1)]
    assert dlm.work_dir == osp.join(root, 'dlm', '50salads', 'seed1')
    assert dlm.train_options['randomness.seed'] == 1
    assert dlm.model_options['model.primary.checkpoint'] == osp.join(
        root, 'full', '50salads', 'seed0'
    )
    for aux in ('ssv2', 'ava', 'thumos14', 'imagenet_vid', 'youtube_vis'):
        assert dlm.model_options[f'model.auxiliaries.{aux}.checkpoint'] == osp.join(
            root, 'full', aux, 'seed0'
        )
        assert ('full', aux, 0) in dlm.deps
    epochs = Config.fromfile(f'{REPO}/configs/dlm/50salads_aux5.py').train_cfg.max_epochs
    assert dlm.train_options['train_cfg.val_begin'] == 1
    assert dlm.train_options['train_cfg.val_interval'] == max(1, epochs // 6)
    assert 'train_cfg.val_begin' not in mvlpt.train_options
    # Table 2: the held-out sets of 50Salads, once without prompts, then per seed
    assert plan.table2 == [
        ('zero_shot_original', 'breakfast', None),
        ('zero_shot_dlm', 'breakfast', 0),
        ('zero_shot_original', 'gtea', None),
        ('zero_shot_dlm', 'gtea', 0),
        ('zero_shot_dlm', 'breakfast', 1),
        ('zero_shot_dlm', 'gtea', 1),
    ]
    original = runs[('zero_shot_original', 'gtea', None)]
    assert original.model_options == {
        'model.task.checkpoint': osp.join(root, 'full', 'gtea', 'seed0'),
        'model.prompt_file': None,
    }
    assert not original.train and original.deps == [('full', 'gtea', 0)]
    prompted = runs[('zero_shot_dlm', 'breakfast', 1)]
    assert prompted.model_options['model.prompt_file'] == osp.join(
        root, 'dlm', '50salads', 'seed1', 'prompts_latest.pth'
    )
    assert ('dlm', '50salads', 1) in prompted.deps


def test_dry_run_prints_each_command_once(tool, tmp_path, capsys):
    root = str(tmp_path / 'runs')
    code = tool.main(
        ['--dry-run', '--primaries', '50salads', '--methods', 'full', 'vpt_shallow']
        + ['--seeds', '0', '1', '--no-zero-shot', '--root', root, '--max-epochs', '2']
    )
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    commands = [line[len('$ python ') :] for line in lines if line.startswith('$ python ')]
    vpt_cfg = Config.fromfile(f'{REPO}/configs/baselines/vpt_shallow/50salads.py')
    shorter = ' '.join(tool._options(tool.scaled_schedule(vpt_cfg, 1.0, max_epochs=2)))
    assert 'train_cfg.max_epochs=2' in shorter

    def work(method, seed):
        return f'{root}/{method}/50salads/seed{seed}'

    def test(config, method, seed, options=''):
        return (
            f"tools/test.py {config} '<{work(method, seed)}/last_checkpoint>' --work-dir "
            f'{work(method, seed)}/test --metrics-json {work(method, seed)}/test_metrics.json'
            + (f' --cfg-options {options}' if options else '')
        )

    full, vpt = 'configs/tasks/50salads_demo.py', 'configs/baselines/vpt_shallow/50salads.py'
    backbone = f'model.primary.checkpoint={work("full", 0)}'
    assert commands == [
        f'tools/train.py {full} --work-dir {work("full", 0)} --cfg-options randomness.seed=0',
        test(full, 'full', 0),
        f'tools/train.py {vpt} --work-dir {work("vpt_shallow", 0)} --cfg-options {backbone} '
        f'randomness.seed=0 {shorter}',
        test(vpt, 'vpt_shallow', 0, backbone),
        f'tools/train.py {full} --work-dir {work("full", 1)} --cfg-options randomness.seed=1',
        test(full, 'full', 1),
        f'tools/train.py {vpt} --work-dir {work("vpt_shallow", 1)} --cfg-options {backbone} '
        f'randomness.seed=1 {shorter}',
        test(vpt, 'vpt_shallow', 1, backbone),
    ]
    assert not os.path.exists(root)  # a dry run writes nothing


def test_ablations_can_run_on_fewer_seeds(tool, tmp_path):
    planner = tool.Planner(str(tmp_path), check_hps=no_blocker)
    plan = planner.build(['50salads'], ['dlm_no_layer2', 'dlm'], [0, 1], ablation_seeds=[0])
    assert plan.table1 == [
        ('dlm', '50salads', 0),
        ('dlm_no_layer2', '50salads', 0),
        ('dlm', '50salads', 1),
    ]


def test_standard_backbones_use_the_configs_own_work_dirs(tool, tmp_path):
    plan = make_plan(tool, tmp_path, ['50salads'], ['vpt_shallow'], [0], backbones='standard')
    backbone = plan.runs[('backbone', '50salads', None)]
    assert backbone.work_dir == 'work_dirs/50salads_demo' and not backbone.own_work_dir
    assert tool.train_command(backbone, resume=False) == [
        'tools/train.py',
        'configs/tasks/50salads_demo.py',
    ]
    vpt = plan.runs[('vpt_shallow', '50salads', 0)]
    assert 'model.primary.checkpoint' not in vpt.model_options


def test_hps_runs_only_where_configs_and_plugins_allow(tool, tmp_path):
    plan = make_plan(tool, tmp_path, list(tool.PRIMARIES), ['hps'], [0], zero_shot=False)
    assert plan.table1 == [('hps', 'ssv2', 0), ('hps', 'ava', 0)]
    assert any('HPS on THUMOS14: no config' in note for note in plan.notes)
    hps = plan.runs[('hps', 'ssv2', 0)]
    # the partner model starts from scratch (its config says checkpoint=None)
    assert set(hps.model_options) == {'model.tasks.ssv2.checkpoint'}
    assert hps.deps == [('full', 'ssv2', 0)]

    blocked = make_plan(
        tool, tmp_path, ['ssv2'], ['hps'], [0], zero_shot=False, check_hps=lambda c: 'no parts'
    )
    assert blocked.table1 == [] and blocked.notes == ['HPS on SSv2: not run, no parts']


def test_hps_blocker_names_plugins_without_encoder_parts(tool, monkeypatch):
    from dlm_core.tasks import TaskPlugin
    from tasks_detection.plugins.spatio_temporal import SpatioTemporalDetectionTask
    from tasks_recognition.action_recognition_task import ActionRecognitionTask

    def parts(self):
        return {}

    monkeypatch.setattr(ActionRecognitionTask, 'encoder_parts', parts)
    monkeypatch.setattr(SpatioTemporalDetectionTask, 'encoder_parts', parts)
    assert tool.hps_blocker('configs/baselines/hps/ssv2.py') is None
    monkeypatch.setattr(SpatioTemporalDetectionTask, 'encoder_parts', TaskPlugin.encoder_parts)
    reason = tool.hps_blocker('configs/baselines/hps/ssv2.py')
    assert 'SpatioTemporalDetectionTask' in reason and 'ActionRecognitionTask' not in reason


def test_schedules_shrink_consistently(tool):
    epochs = Config(
        dict(
            train_cfg=dict(max_epochs=20, val_begin=10, val_interval=10),
            default_hooks=dict(checkpoint=dict(interval=10)),
            param_scheduler=[
                dict(type='LinearLR', begin=0, end=1, convert_to_iter_based=True),
                dict(type='CosineAnnealingLR', begin=1, end=20, T_max=19),
                dict(type='MultiStepLR', milestones=[15, 20]),
            ],
        )
    )
    assert tool.scaled_schedule(epochs, 1.0) == {}
    assert tool.scaled_schedule(epochs, 0.5) == {
        'train_cfg.max_epochs': 10,
        'train_cfg.val_begin': 5,
        'train_cfg.val_interval': 5,
        'default_hooks.checkpoint.interval': 5,
        'param_scheduler.0.begin': 0,
        'param_scheduler.0.end': 1,
        'param_scheduler.1.begin': 0,  # round(0.5): warm-up no longer fits before it
        'param_scheduler.1.end': 10,
        'param_scheduler.1.T_max': 10,  # its whole span, as before
        'param_scheduler.2.milestones': [8, 10],
    }
    assert tool.scaled_schedule(epochs, 1.0, max_epochs=2)['train_cfg.max_epochs'] == 2
    iters = Config(
        dict(
            train_cfg=dict(max_iters=1520, val_interval=304),
            default_hooks=dict(checkpoint=dict(by_epoch=False, interval=304)),
            param_scheduler=[
                dict(type='LinearLR', by_epoch=False, begin=0, end=76),
                dict(type='CosineAnnealingLR', by_epoch=False, begin=76, end=1520, T_max=1444),
            ],
        )
    )
    assert tool.scaled_schedule(iters, 0.5) == {
        'train_cfg.max_iters': 760,
        'train_cfg.val_interval': 152,
        'default_hooks.checkpoint.interval': 152,
        'param_scheduler.0.begin': 0,
        'param_scheduler.0.end': 38,
        'param_scheduler.1.begin': 38,
        'param_scheduler.1.end': 760,
        'param_scheduler.1.T_max': 722,
    }
    # the options apply to a real config as MMEngine's --cfg-options would
    cfg = Config.fromfile(f'{REPO}/configs/dlm/50salads_aux5.py', import_custom_modules=False)
    options = tool.scaled_schedule(cfg, 0.5)
    cfg.merge_from_dict(options)
    half = max(1, round(Config.fromfile(f'{REPO}/configs/dlm/50salads_aux5.py').max_epochs / 2))
    assert cfg.train_cfg.max_epochs == half
    assert cfg.param_scheduler[0].T_max == half


# -- resumability -------------------------------------------------------------------------
class Recorder:
    """Stands in for the tools: training leaves a checkpoint, testing a metrics file."""

    def __init__(self, fail=()):
        self.calls, self.fail = [], fail

    def __call__(self, command):
        self.calls.append(command)
        work_dir = command[command.index('--work-dir') + 1]
        if any(f in work_dir for f in self.fail):
            return 1
        if command[0] == 'tools/train.py':
            os.makedirs(work_dir, exist_ok=True)
            torch.save({}, osp.join(work_dir, 'epoch_2.pth'))
            with open(osp.join(work_dir, 'last_checkpoint'), 'w') as handle:
                handle.write(osp.join(work_dir, 'epoch_2.pth'))
        else:
            with open(command[command.index('--metrics-json') + 1], 'w') as handle:
                json.dump({'f1@50': 50.0}, handle)
        return 0


def vpt_plan(tool, root):
    return make_plan(tool, root, ['50salads'], ['vpt_shallow'], [0], zero_shot=False)


def test_runs_with_metrics_are_kept_and_interrupted_runs_resume(tool, tmp_path):
    root = tmp_path / 'runs'
    recorder = Recorder()
    assert tool.execute(vpt_plan(tool, root), runner=recorder, needs_checkpoint=bool) == []
    assert [c[0] for c in recorder.calls] == ['tools/train.py', 'tools/train.py', 'tools/test.py']
    assert '--resume' not in recorder.calls[1]
    record = json.loads((root / 'vpt_shallow' / '50salads' / 'seed0' / 'run.json').read_text())
    assert record['train_command'][:2] == ['python', 'tools/train.py'] and 'test_s' in record

    # everything done: nothing runs again
    recorder = Recorder()
    assert tool.execute(vpt_plan(tool, root), runner=recorder, needs_checkpoint=bool) == []
    assert recorder.calls == []

    # interrupted after a checkpoint: resume, then test that run's last checkpoint
    work = root / 'vpt_shallow' / '50salads' / 'seed0'
    os.remove(work / 'test_metrics.json')
    os.remove(work / 'run.json')
    recorder = Recorder()
    tool.execute(vpt_plan(tool, root), runner=recorder, needs_checkpoint=bool)
    train, test = recorder.calls
    assert train[: train.index('--cfg-options')][-1] == '--resume'
    assert test[2] == str(work / 'epoch_2.pth')


def test_a_failed_run_skips_what_needs_it(tool, tmp_path, capsys):
    root = tmp_path / 'runs'
    recorder = Recorder(fail=[osp.join('full', '50salads')])
    failed = tool.execute(vpt_plan(tool, root), runner=recorder, needs_checkpoint=bool)
    assert failed == ['full/50salads/seed0', 'vpt_shallow/50salads/seed0']
    assert len(recorder.calls) == 1  # the VPT run never started
    assert 'skipped, it needs full/50salads/seed0' in capsys.readouterr().out
    # the next invocation retries the failed run (nothing was recorded as trained)
    recorder = Recorder()
    assert tool.execute(vpt_plan(tool, root), runner=recorder, needs_checkpoint=bool) == []
    assert len(recorder.calls) == 3


# -- the results page ---------------------------------------------------------------------
def test_mean_and_spread_by_hand(tool):
    assert tool.mean_spread([80.0, 82.0]) == (81.0, pytest.approx(2**0.5))
    mean, spread = tool.mean_spread([1.0, 2.0, 4.0])
    # sample standard deviation: sqrt(((1-7/3)^2 + (2-7/3)^2 + (4-7/3)^2) / 2) = sqrt(7/3)
    assert mean == pytest.approx(7 / 3) and spread == pytest.approx((7 / 3) ** 0.5)
    assert tool.mean_spread([3.0]) == (3.0, None)
    assert tool.format_cell([80.0, 82.0]) == '81.00 ± 1.41'
    assert tool.format_cell([3.0], bold=True) == '**3.00**'
    assert tool.format_cell(None) == '–'


def write_scalars(work_dir, lines, stamp='20260101_000000'):
    folder = osp.join(work_dir, stamp, 'vis_data')
    os.makedirs(folder, exist_ok=True)
    with open(osp.join(folder, 'scalars.json'), 'w') as handle:
        handle.write(''.join(json.dumps(line) + '\n' for line in lines))


def test_curves_put_validation_at_the_end_of_its_epoch(tool, tmp_path):
    metric = tool.METRICS['ssv2']
    write_scalars(
        tmp_path,
        [
            {'loss': 2.0, 'epoch': 1, 'iter': 10, 'step': 10},
            {'loss': 1.5, 'epoch': 1, 'iter': 19, 'step': 19},
            {'acc/top1': 0.4, 'step': 1},
            {'loss': 1.2, 'epoch': 2, 'iter': 38, 'step': 38},
        ],
    )
    # a resumed session repeats epoch 2 and goes on
    write_scalars(
        tmp_path,
        [
            {'loss': 1.1, 'epoch': 2, 'iter': 38, 'step': 38},
            {'acc/top1': 0.5, 'step': 2},
            {'loss': 1.0, 'epoch': 3, 'iter': 57, 'step': 57},
            {'acc/top1': 0.55, 'step': 3},
        ],
        stamp='20260101_010000',
    )
    curve = tool.curves(tool.read_scalars(str(tmp_path)), metric)
    assert [i for i, _ in curve['val']] == [19, 38, 57]
    assert [v for _, v in curve['val']] == pytest.approx([40.0, 50.0, 55.0])
    assert curve['loss'] == [(10, 2.0), (19, 1.5), (38, 1.1), (57, 1.0)]
    # iteration-based loops (HPS) log validation at its iteration
    iters = tool.curves([{'loss': 1.0, 'iter': 5, 'step': 5}, {'acc/top1': 0.3, 'step': 5}], metric)
    assert iters['val'] == [(5, pytest.approx(30.0))]


def fill(tool, plan, metrics, trainable, scalars):
    """Leave in each planned run's work dir what a real run would (only where given)."""
    for run in plan.runs.values():
        os.makedirs(run.path(), exist_ok=True)
        value = metrics.get(run.key)
        if value is not None:
            key = tool.METRICS[run.task].key
            with open(run.metrics_file, 'w') as handle:
                json.dump({key: value, 'other': -1.0}, handle)
        if run.key in trainable:
            meta = dict(trainable_percent=trainable[run.key])
            save_prompt_file(run.path('prompts_latest.pth'), torch.zeros(8, 4), 3, {}, meta)
        if run.key in scalars:
            write_scalars(run.path(), scalars[run.key])
        run.update_record(train_s=60.0, train_command=['python', 'tools/train.py', run.config])


def epochs(metric_key, values, losses, scale=1.0):
    lines = []
    for epoch, (value, loss) in enumerate(zip(values, losses), start=1):
        lines.append({'loss': loss, 'epoch': epoch, 'iter': 4 * epoch, 'step': 4 * epoch})
        lines.append({metric_key: value / scale, 'step': epoch})
    return lines


def section(text: str, heading: str) -> dict:
    """The rows of the markdown tables under ``heading`` (up to the next heading):
    first cell -> the other cells."""
    body = text.split(heading, 1)[1].split('\n## ', 1)[0]
    rows = {}
    for line in body.splitlines():
        if line.startswith('| ') and not line.startswith('|---'):
            cells = [c.strip() for c in line.strip().strip('|').split('|')]
            rows[cells[0]] = cells[1:]
    return rows


def test_results_page_shows_the_runs_numbers(tool, tmp_path):
    methods = ['full', 'vpt_shallow', 'dlm', 'dlm_no_layer2']
    plan = make_plan(tool, tmp_path / 'runs', ['ssv2', '50salads'], methods, [0, 1])
    table = {  # (method, task): per seed, in percent; ssv2's files hold fractions
        ('full', 'ssv2'): (60.0, 62.0),
        ('vpt_shallow', 'ssv2'): (55.0, 57.0),
        ('dlm', 'ssv2'): (58.0, 60.0),
        ('dlm_no_layer2', 'ssv2'): (59.0, 61.0),
        ('full', '50salads'): (80.0, 82.0),
        ('vpt_shallow', '50salads'): (70.0, 71.0),
        ('dlm', '50salads'): (85.0, 86.0),
        ('dlm_no_layer2', '50salads'): (83.0, 84.0),
    }
    metrics = {}
    for (method, task), values in table.items():
        for seed, value in enumerate(values):
            metrics[(method, task, seed)] = value / (100.0 if task == 'ssv2' else 1.0)
    metrics.update(
        {
            ('zero_shot_original', 'breakfast', None): 60.0,
            ('zero_shot_dlm', 'breakfast', 0): 62.0,
            ('zero_shot_dlm', 'breakfast', 1): 64.0,
            ('zero_shot_original', 'gtea', None): 70.0,
            ('zero_shot_dlm', 'gtea', 0): 69.0,
            ('zero_shot_dlm', 'gtea', 1): 69.0,
        }
    )
    trainable = {
        ('vpt_shallow', 'ssv2', 0): 0.25,
        ('vpt_shallow', '50salads', 0): 0.17,
        ('vpt_shallow', 'ssv2', 1): 0.25,
        ('vpt_shallow', '50salads', 1): 0.17,
        ('dlm', 'ssv2', 0): 10.1,
        ('dlm', '50salads', 0): 9.78,
        ('dlm_no_layer2', 'ssv2', 0): 9.9,
        ('dlm_no_layer2', '50salads', 0): 9.5,
    }
    scalars = {
        ('dlm', '50salads', 0): epochs('f1@50', [80, 85], [0.5, 0.4]),
        ('dlm_no_layer2', '50salads', 0): epochs('f1@50', [70, 83], [0.6, 0.45]),
        ('dlm', 'ssv2', 0): epochs('acc/top1', [50, 58], [1.0, 0.9], scale=100.0),
        ('dlm_no_layer2', 'ssv2', 0): epochs('acc/top1', [52, 59], [1.1, 0.8], scale=100.0),
    }
    fill(tool, plan, metrics, trainable, scalars)

    results = tool.collect(plan, ['ssv2', '50salads'], methods, [0, 1])
    assert results.table1[('full', 'ssv2')] == pytest.approx([60.0, 62.0])
    results.command = 'python tools/reproduce.py --seeds 0 1'
    results.machine = dict(cpu='Test CPU', cores=2, torch='2.x', python='3.11', system='Linux')
    results.wall_s = 600.0
    page, figure = tmp_path / 'docs' / 'results.md', tmp_path / 'docs' / 'fig3.png'
    tool.write_report(results, str(page), str(figure))
    text = page.read_text()

    table1, table2 = section(text, '## Table 1'), section(text, '## Table 2')
    assert table1['Full fine-tuning (100.00 %)'] == ['**61.00 ± 1.41**', '81.00 ± 1.41']
    assert table1['VPT-shallow (0.17–0.25 %)'] == ['56.00 ± 1.41', '70.50 ± 0.71']
    assert table1['DLM-VMTL (9.78–10.10 %)'] == ['59.00 ± 1.41', '**85.50 ± 0.71**']
    assert table1['DLM without layer 2 (9.50–9.90 %)'] == ['60.00 ± 1.41', '83.50 ± 0.71']
    assert table1['DLM-VMTL'] == ['10.10', '9.78']  # trainable % per run
    # columns: UCF101, HMDB51, AVA-Kinetics, Breakfast, GTEA
    assert table2['Original (no prompts)'] == ['–', '–', '–', '60.00', '70.00']
    assert table2['DLM-VMTL prompts'] == ['–', '–', '–', '63.00 ± 1.41', '69.00 ± 0.00']
    assert "The paper's ordering does not hold everywhere here" in text
    assert (
        'DLM-VMTL beats full fine-tuning on 1 of 2 tasks (not on SSv2: 59.00 vs 61.00) '
        '(paper: 6 of 6).'
    ) in text
    assert (
        'DLM-VMTL beats DLM without layer 2 on 1 of 2 tasks (not on SSv2: 59.00 vs 60.00); '
        'the difference is within the seed spread on SSv2.'
    ) in text
    assert 'DLM-VMTL beats VPT-shallow on 2 of 2 tasks (paper: 6 of 6).' in text
    assert (
        "DLM-VMTL's prompts beat the original model on 1 of 2 held-out sets "
        '(not on GTEA: 69.00 vs 70.00) (paper: 5 of 5).'
    ) in text
    assert (
        'With layer 2 the final validation metric is higher on 1 of 2 primaries '
        '(not on SSv2: 58.00 vs 59.00).'
    ) in text
    assert 'With layer 2 the validation metric averaged over training is higher on 1 of 2' in text
    assert (
        'With layer 2 the final training loss is lower on 1 of 2 primaries '
        '(not on SSv2: 0.90 vs 0.80).'
    ) in text
    assert '![Fig. 3 on the demo benchmark](fig3.png)' in text
    assert figure.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert 'Machine: Test CPU, 2 cores; torch 2.x' in text
    assert 'python tools/reproduce.py --seeds 0 1' in text
    runs = len(plan.runs)  # each recorded 60 s of training
    assert f'- Time: {runs:.1f} min of training and testing over {runs} runs' in text


def test_ordering_sentences_count_the_tasks(tool):
    tasks = list(tool.PRIMARIES)
    results = tool.Results(tasks, ['full', 'dlm'], [0])
    for index, task in enumerate(tasks):
        results.table1[('full', task)] = [50.0]
        results.table1[('dlm', task)] = [49.0 if index < 2 else 52.0]
    sentences = tool.ordering_sentences(results)
    assert sentences[0].startswith("The paper's ordering does not hold everywhere here")
    assert sentences[1] == (
        'DLM-VMTL beats full fine-tuning on 4 of 6 tasks (not on SSv2: 49.00 vs 50.00, '
        'AVA: 49.00 vs 50.00) (paper: 6 of 6).'
    )
    for task in tasks[:2]:
        results.table1[('dlm', task)] = [51.0]
    assert tool.ordering_sentences(results) == [
        "The paper's ordering holds: DLM-VMTL is ahead of every baseline on every task.",
        'DLM-VMTL beats full fine-tuning on 6 of 6 tasks (paper: 6 of 6).',
    ]


# -- tuning on a validation split ---------------------------------------------------------
class ValueRecorder(Recorder):
    """A Recorder whose tests report ``values[variant]`` for the tuning runs."""

    def __init__(self, values):
        super().__init__()
        self.values = values

    def __call__(self, command):
        code = super().__call__(command)
        if command[0] == 'tools/test.py':
            work_dir = command[command.index('--work-dir') + 1]
            value = next((v for k, v in self.values.items() if f'dlm_{k}{os.sep}' in work_dir), 50)
            with open(command[command.index('--metrics-json') + 1], 'w') as handle:
                json.dump({'f1@50': float(value)}, handle)
        return code


def tuning_plan(tool, root):
    planner = tool.Planner(str(root), check_hps=no_blocker, factor=0.5)
    plan = planner.build(['50salads'], ['full', 'dlm'], [0, 1], zero_shot=False)
    tuning = tool.TuningPlanner(planner, '50salads')
    tuning.add_search()
    return plan, tuning


@pytest.mark.parametrize('task', ['50salads', 'ssv2'])
def test_tuning_splits_hold_out_training_samples_only(tool, tmp_path, annotated_repo, task):
    train_path, val_path = tool.write_tuning_splits(str(tmp_path / 'runs'), task)
    cfg = Config.fromfile(f'{REPO}/configs/tasks/{task}_demo.py', import_custom_modules=False)

    def lines(dataset, path=None):
        path = osp.join(annotated_repo, dataset.get('data_root') or '', path or dataset.ann_file)
        with open(path) as handle:
            return [line.strip() for line in handle if line.strip()]

    training, test = lines(cfg.train_dataloader.dataset), lines(cfg.test_dataloader.dataset)
    train, val = lines({}, train_path), lines({}, val_path)
    assert val == sorted(training)[3::4] and len(val) == len(training) // 4
    assert sorted(train + val) == sorted(training) and not set(train) & set(val)
    assert not set(val) & set(test)


def test_tuning_variants_fit_each_primarys_layers(tool):
    for task in tool.TUNE_TASKS:
        variants = tool.tune_variants(task)
        layers = tool.DEMO_LAYERS[task]
        assert variants['prompt_late'][1] == {'model.primary.prompt_layer': layers - 1}
        late = variants['tap_late'][1]
        assert len(late) == 5 and f'model.auxiliaries.{task}.tap_layer' not in late
        assert [k for k in variants if k.startswith('lr')] == ['lr3e-4', 'lr3e-3', 'lr1e-2']
    assert tool.tune_variants('ssv2')['tap_late'][1]['model.auxiliaries.50salads.tap_layer'] == 5


def test_tuning_runs_validate_on_the_held_out_split(tool, tmp_path):
    root = tmp_path / 'runs'
    plan, _ = tuning_plan(tool, root)
    assert [plan.runs[k].method for k in plan.tuning['50salads']] == [
        f'tune_{name}' for name in tool.tune_variants('50salads')
    ]
    base = plan.runs[('tune_full', '50salads', 0)]
    train, val = tool.tuning_split_paths(str(root), '50salads')
    assert base.model_options['train_dataloader.dataset.ann_file'] == train
    for key in plan.tuning['50salads']:
        run = plan.runs[key]
        assert base.key in run.deps and run.model_options['model.primary.checkpoint'] == (
            base.work_dir
        )
        for split in ('val', 'test'):
            assert run.model_options[f'{split}_dataloader.dataset.ann_file'] == val
    runs = {plan.runs[k].method: plan.runs[k] for k in plan.tuning['50salads']}
    default, x2 = runs['tune_default'], runs['tune_schedule_x2']
    assert default.train_options['train_cfg.max_epochs'] == 10  # Table 1's short schedule
    assert 'train_cfg.max_epochs' not in x2.train_options  # the config's 20 epochs
    # what shapes the model reaches tools/test.py too
    assert runs['tune_lr3e-3'].model_options['optim_wrapper.optimizer.lr'] == 3e-3
    assert runs['tune_tap_late'].model_options['model.auxiliaries.youtube_vis.tap_layer'] == 5


def test_the_best_validated_variant_runs_on_the_test_split(tool, tmp_path, annotated_repo, capsys):
    root = tmp_path / 'runs'
    plan, tuning = tuning_plan(tool, root)
    values = {name: 60 for name in tool.tune_variants('50salads')}
    values.update(default=70, prompts16=75)
    recorder = ValueRecorder(values)
    assert tool.execute(plan, runner=recorder, needs_checkpoint=bool) == []
    assert tool.best_variant(plan, '50salads') == ('prompts16', pytest.approx(values))
    assert tool.run_tuned(plan, tuning, [0, 1], False, runner=recorder, needs_checkpoint=bool) == []
    assert [plan.runs[k].name for k in plan.tuned['50salads']] == [
        'dlm_tuned/50salads/seed0',
        'dlm_tuned/50salads/seed1',
    ]
    tuned = plan.runs[plan.tuned['50salads'][0]]
    assert tuned.model_options['model.mapper.num_prompts'] == 16
    assert 'test_dataloader.dataset.ann_file' not in tuned.model_options  # the test split
    assert tuned.model_options['model.primary.checkpoint'] == osp.join(
        str(root), 'full', '50salads', 'seed0'
    )
    assert 'prompts16 validated best' in capsys.readouterr().out

    tool.write_tuning_splits(str(root), '50salads')
    results = tool.collect(plan, ['50salads'], ['full', 'dlm'], [0, 1])
    assert results.tuning_split['50salads'] == (12, 4)
    assert results.tuning_base['50salads'] == 50.0
    assert results.tuned['50salads'] == [50.0, 50.0]
    lines = tool.tuning_lines(results)
    assert '### 50Salads (4 of 16 training samples held out)' in lines
    assert '| `prompts16` | 16 prompts per auxiliary (default 8) | **75.00** |' in lines
    assert '| no prompts | the re-fine-tuned 50Salads model alone | 50.00 |' in lines
    assert any(
        line.startswith('- `prompts16` validated best (75.00 against 70.00') for line in lines
    )


def test_a_tie_keeps_table_1s_setting(tool, tmp_path, capsys):
    plan, tuning = tuning_plan(tool, tmp_path / 'runs')
    assert tool.best_variant(plan, '50salads')[0] is None  # nothing ran yet
    tool.execute(plan, runner=ValueRecorder({}), needs_checkpoint=bool)  # all 50
    assert tool.best_variant(plan, '50salads')[0] == 'default'
    assert tool.run_tuned(plan, tuning, [0], False, runner=Recorder()) == []
    assert '50salads' not in plan.tuned
    assert "Table 1's setting validated best" in capsys.readouterr().out

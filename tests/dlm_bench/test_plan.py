"""dlm_bench.plan: which runs the protocol plans, what each starts from, and what waits
on a validation result. Nothing is trained: validation results are written by hand."""

from __future__ import annotations

import dataclasses
import os.path as osp

from dlm_bench import plan as bench_plan
from dlm_bench import splits
from dlm_bench.catalog import METRICS, PRIMARIES, REPO, auxiliaries
from dlm_bench.protocol import FULL, LR_GRID, QUICK, lr_tag
from mmengine.config import Config


def build(tmp_path, preset):
    planner = bench_plan.Planner(str(tmp_path / 'runs'), preset)
    return planner, planner.build()


def test_quick_preset_plans_full_fine_tuning_against_dlm_on_two_seeds(tmp_path):
    _, plan = build(tmp_path, QUICK)
    names = list(plan.runs)
    for position, run in enumerate(plan.runs.values()):
        assert all(names.index(dep) < position for dep in run.deps), run.name
    tested = {n for n, r in plan.runs.items() if r.test}
    assert tested == {
        'full/50salads/seed0', 'full/50salads/seed1', 'dlm/50salads/seed0', 'dlm/50salads/seed1',
    }  # fmt: skip
    # the five frozen auxiliaries: their seed-0 single-task runs, not tested
    for aux in ('ssv2', 'ava', 'thumos14', 'imagenet_vid', 'youtube_vis'):
        assert not plan.runs[f'full/{aux}/seed0'].test
    root = str(tmp_path / 'runs')
    dlm = plan.runs['dlm/50salads/seed1']
    assert dlm.modes == ('static', 'dynamic') and dlm.train_head is True
    assert dlm.model_options['model.train_head'] is True
    # seed k is prompted on the full fine-tuning run of seed k; auxiliaries from seed 0
    assert dlm.model_options['model.primary.checkpoint'] == osp.join(
        root, 'full/50salads/seed1/chosen.pth'
    )
    assert dlm.model_options['model.auxiliaries.ava.checkpoint'] == osp.join(
        root, 'full/ava/seed0/chosen.pth'
    )
    assert 'optim_wrapper.optimizer.lr' not in dlm.train_options  # no grid in --quick
    # validation: carved split, >= 10 points where the schedule allows, best checkpoint kept
    epochs = Config.fromfile(f'{REPO}/configs/dlm/50salads_aux5.py').train_cfg.max_epochs
    options = dlm.train_options
    assert options['train_cfg.val_interval'] == max(1, epochs // 10)
    assert options['default_hooks.checkpoint.save_best'] == 'f1@50'
    # the bench set (train and test alike), validated on its held-out split
    assert dlm.model_options['data_root'] == 'data/bench/50salads'
    assert options['val_dataloader.dataset.ann_file'] == 'splits/val.split1.bundle'
    assert not any(k.startswith(('train_dataloader', 'test_dataloader')) for k in options)


def test_every_primary_gets_a_validation_split_the_lr_grid_and_curves(tmp_path):
    preset = dataclasses.replace(FULL, methods=('full', 'vpt_middle', 'dlm'), controls=False,
                                 low_data=False, zero_shot=False)  # fmt: skip
    _, plan = build(tmp_path, preset)
    assert not plan.notes
    for task in PRIMARIES:
        held_out = splits.validation_options(task)
        for run in plan.runs.values():
            if run.task != task:
                continue
            assert run.validation == 'carved' and run.model_options['data_root'] == (
                f'data/bench/{task}'
            )
            assert held_out.items() <= run.train_options.items(), run.name
            assert run.train_options['default_hooks.checkpoint.save_best'] == METRICS[task].key
        grid = {
            (r.method, r.lr) for r in plan.runs.values() if r.stage == 'grid' and r.task == task
        }
        assert grid == {(m, lr) for m in ('vpt_middle', 'dlm') for lr in LR_GRID}, task


def test_a_task_without_validation_split_never_validates_on_its_test_split(tmp_path):
    preset = dataclasses.replace(QUICK, primaries=('ssv2',), zero_shot=True)
    _, plan = build(tmp_path, preset)
    full = plan.runs['full/ucf101/seed0']  # the held-out set's model of Table 2
    max_epochs = Config.fromfile(f'{REPO}/configs/tasks/ucf101_demo.py').train_cfg.max_epochs
    assert full.train_options['train_cfg.val_begin'] == max_epochs + 1
    assert full.train_options['default_hooks.checkpoint.save_best'] is None
    assert full.validation == 'none' and full.model_options['data_root'] == 'data/bench/ucf101'


def test_learning_rates_come_from_the_grid_on_the_validation_split(tmp_path):
    preset = dataclasses.replace(FULL, primaries=('ssv2',), methods=('full', 'vpt_middle'),
                                 controls=False, low_data=False, zero_shot=False)  # fmt: skip
    planner, plan = build(tmp_path, preset)
    grid = [r for r in plan.runs.values() if r.stage == 'grid']
    assert [r.lr for r in grid] == list(LR_GRID)
    assert all(r.seed == 0 and not r.test for r in grid)
    assert all(r.train_options['optim_wrapper.optimizer.lr'] == r.lr for r in grid)
    assert plan.pending == ['vpt_middle/ssv2: learning rate (grid on validation)']
    assert 'vpt_middle/ssv2/lr1e-3/seed1' not in plan.runs
    # the full fine-tuning runs of every seed a prompted run needs: 5 seeds
    assert [r.seed for r in plan.runs.values() if r.method == 'full' and r.test] == [0, 1, 2, 3, 4]

    for run, value in zip(grid, (50.0, 61.0, 61.0, 40.0)):  # a tie: nearer the config's lr
        run.update_record(val_best=value, train_s=1.0)
    plan = planner.build()
    assert plan.pending == []
    chosen = [r for r in plan.runs.values() if r.method == 'vpt_middle' and r.test]
    assert [r.name for r in chosen] == [f'vpt_middle/ssv2/{lr_tag(1e-3)}/seed{k}' for k in range(5)]
    assert chosen[0].stage == 'final'  # the grid run of the chosen rate is the seed-0 run
    assert (
        chosen[3].model_options['model.primary.checkpoint'].endswith('full/ssv2/seed3/chosen.pth')
    )


def test_mvlpt_starts_from_the_vpt_shallow_prompts_of_the_next_primary(tmp_path):
    preset = dataclasses.replace(QUICK, primaries=('50salads',), methods=('mvlpt',))
    _, plan = build(tmp_path, preset)
    mvlpt = plan.runs['mvlpt/50salads/seed1']
    source = plan.runs['vpt_shallow/imagenet_vid/seed1']
    assert source.name in mvlpt.deps and not source.test
    assert mvlpt.model_options['model.mapper.init_file'] == osp.join(
        str(tmp_path / 'runs'), 'vpt_shallow/imagenet_vid/seed1/prompts_chosen.pth'
    )


def test_knowledge_controls_and_the_low_data_regime(tmp_path):
    preset = dataclasses.replace(QUICK, methods=('full', 'vpt_middle', 'dlm'), controls=True,
                                 low_data=True, other_seeds=(0, 1, 2))  # fmt: skip
    _, plan = build(tmp_path, preset)
    names = auxiliaries('50salads')
    assert len(names) == 5
    random = plan.runs['dlm_random_aux/50salads/seed2']
    assert {k for k, v in random.model_options.items() if k.endswith('random_init')} == {
        f'model.auxiliaries.{n}.random_init' for n in names
    }
    assert not any(k.endswith('.checkpoint') and 'auxiliaries' in k for k in random.model_options)
    assert random.deps == ['full/50salads/seed2']

    only = plan.runs['dlm_only_ava/50salads/seed0']
    without = plan.runs['dlm_without_ava/50salads/seed0']
    for run, kept in ((only, ['ava']), (without, [n for n in names if n != 'ava'])):
        path = tmp_path / f'{run.method}.py'
        path.write_text(run.derived_config)
        cfg = Config.fromfile(str(path), import_custom_modules=False)
        assert list(cfg.model.auxiliaries) == kept, run.name
        assert cfg.model.mapper.num_prompts == 8  # the same prompt count per auxiliary
        assert {k.split('.')[2] for k in run.model_options if k.startswith('model.aux')} == set(
            kept
        )
        assert run.config == osp.join(str(tmp_path / 'runs'), run.name, 'config.py')

    low_full = plan.runs['full/50salads/low_data/seed1']
    assert low_full.test and low_full.train_options['train_dataloader.dataset.ann_file'].endswith(
        'splits/50salads/train_low.bundle'
    )
    low_dlm = plan.runs['dlm/50salads/low_data/seed1']
    assert low_dlm.model_options['model.primary.checkpoint'].endswith(
        'full/50salads/low_data/seed1/chosen.pth'
    )
    assert 'dlm_random_aux/50salads/low_data/seed0' in plan.runs
    assert 'vpt_middle/50salads/low_data/seed0' in plan.runs


def test_a_primary_without_a_subset_writer_gets_the_controls_but_no_low_data_runs(
    tmp_path, monkeypatch
):
    # a format with no writer for a 10 % training subset: the planner notes that and goes on
    monkeypatch.delitem(splits.FORMATS, 'thumos14')
    preset = dataclasses.replace(QUICK, primaries=('thumos14',), methods=('full', 'dlm'),
                                 controls=True, low_data=True, other_seeds=(0,))  # fmt: skip
    _, plan = build(tmp_path, preset)
    assert 'thumos14: no low-data runs (no subset writer for its format)' in plan.notes
    assert 'dlm_random_aux/thumos14/seed0' in plan.runs
    assert not any(run.regime == 'low_data' for run in plan.runs.values())


def test_json_primaries_train_their_low_data_runs_on_the_written_subset(tmp_path):
    preset = dataclasses.replace(QUICK, primaries=('thumos14',), methods=('full', 'dlm'),
                                 low_data=True, other_seeds=(0,))  # fmt: skip
    _, plan = build(tmp_path, preset)
    subset = splits.split_files(str(tmp_path / 'runs'), 'thumos14').low_data
    assert subset.endswith('/splits/thumos14/train_low.json')
    for name in ('full/thumos14/low_data/seed0', 'dlm/thumos14/low_data/seed0'):
        assert plan.runs[name].train_options['train_dataloader.dataset.ann_file'] == subset
    assert 'train_dataloader.dataset.ann_file' not in plan.runs['full/thumos14/seed0'].train_options


def test_every_prompt_method_trains_its_head_but_the_frozen_head_row(tmp_path):
    preset = dataclasses.replace(QUICK, primaries=('ssv2',), methods=(
        'vpt_shallow', 'vpt_middle', 'dlm', 'dlm_no_layer2', 'dlm_frozen_head'))  # fmt: skip
    _, plan = build(tmp_path, preset)
    heads = {r.method: r.model_options['model.train_head'] for r in plan.runs.values() if r.test}
    assert heads == {'vpt_shallow': True, 'vpt_middle': True, 'dlm': True, 'dlm_no_layer2': True,
                     'dlm_frozen_head': False}  # fmt: skip
    modes = {r.method: r.modes for r in plan.runs.values() if r.test}
    assert modes['vpt_middle'] == (None,) and modes['dlm_no_layer2'] == ('static', 'dynamic')


def test_zero_shot_uses_the_prompts_of_each_dlm_seed(tmp_path):
    preset = dataclasses.replace(QUICK, methods=('dlm',), zero_shot=True)
    _, plan = build(tmp_path, preset)
    original = plan.runs['zero_shot_original/gtea']
    assert original.model_options['model.prompt_file'] is None and not original.train
    assert original.deps == ['full/gtea/seed0']
    prompted = plan.runs['zero_shot_dlm/breakfast/seed1']
    assert prompted.model_options['model.prompt_file'].endswith(
        'dlm/50salads/seed1/prompts_chosen.pth'
    )


def test_the_full_protocol_seeds():
    assert FULL.full_seeds == (0, 1, 2, 3, 4)
    assert FULL.seeds_of('dlm') == (0, 1, 2, 3, 4) and FULL.seeds_of('hps') == (0, 1, 2)
    assert FULL.seeds_of('dlm_frozen_head') == (0, 1, 2)
    assert len(QUICK.primaries) == 1 and QUICK.methods == ('full', 'dlm')


def test_the_dlm_variants_start_from_the_dlm_run_of_their_seed(tmp_path):
    """#22's rows: DLM with the exact start (its own run, the gates on), and DLM's static
    prompts calibrated by a run that loads the chosen DLM checkpoint and trains a third of
    the schedule with the calibration hook from its first epoch."""
    preset = dataclasses.replace(QUICK, primaries=('ssv2',), methods=('full', 'dlm'),
                                 variants=True, other_seeds=(0, 1, 2))  # fmt: skip
    _, plan = build(tmp_path, preset)
    exact = plan.runs['dlm_exact/ssv2/seed1']
    assert exact.model_options['model.exact_start'] is True
    # the configs start exactly; the benchmark's DLM (and so its calibration) is ungated
    assert plan.runs['dlm/ssv2/seed1'].model_options['model.exact_start'] is False
    assert exact.modes == ('static', 'dynamic') and exact.config == 'configs/dlm/ssv2_aux5.py'
    calibrated = plan.runs['dlm_calibrated/ssv2/seed2']
    dlm = plan.runs['dlm/ssv2/seed2']
    assert calibrated.train_options['load_from'] == osp.join(dlm.work_dir, 'chosen.pth')
    assert dlm.name in calibrated.deps and calibrated.modes == ('static',)
    assert calibrated.model_options == dlm.model_options  # the same frozen models and data
    # ssv2_aux5.py trains 6 epochs: calibration 2, validated ten times inside them
    assert calibrated.train_options['default_hooks.validation_points.points'] == 10
    assert calibrated.train_options['train_cfg.val_begin'] == 3
    path = tmp_path / 'calibrated.py'
    path.write_text(calibrated.derived_config)
    cfg = Config.fromfile(str(path), import_custom_modules=False)
    assert cfg.model.static_calibration is True and cfg.train_cfg.max_epochs == 2
    assert cfg.param_scheduler == []
    base = Config.fromfile(osp.join(REPO, 'configs/dlm/ssv2_aux5.py'), import_custom_modules=False)
    assert cfg.custom_hooks[:-1] == base.custom_hooks
    assert cfg.custom_hooks[-1] == dict(type='dlm.StaticCalibrationHook', begin=0, lr=1e-3)
    assert cfg.model.primary == base.model.primary and cfg.model.mapper == base.model.mapper


def test_a_schedule_of_fewer_epochs_than_points_validates_inside_its_epochs(tmp_path):
    # ImageNet VID's DLM trains 2 epochs: ten validation points come from the hook, the
    # loop itself never validates; 50Salads' 60-epoch single-task run validates every 6
    preset = dataclasses.replace(QUICK, primaries=('imagenet_vid',), other_seeds=(0,))
    _, plan = build(tmp_path, preset)
    epochs = Config.fromfile(f'{REPO}/configs/dlm/imagenet_vid_aux5.py').train_cfg.max_epochs
    assert epochs < 10
    options = plan.runs['dlm/imagenet_vid/seed0'].train_options
    assert options['default_hooks.validation_points.type'] == 'dlm.ValidationPointsHook'
    assert options['default_hooks.validation_points.points'] == 10
    assert options['default_hooks.logger.log_metric_by_epoch'] is False
    assert options['train_cfg.val_begin'] == epochs + 1
    assert options['default_hooks.checkpoint.save_best'] == METRICS['imagenet_vid'].key
    full = plan.runs['full/50salads/seed0'].train_options
    assert not any(key.startswith('default_hooks.validation_points') for key in full)
    assert (
        full['train_cfg.val_interval'] == 6
        and 'default_hooks.logger.log_metric_by_epoch' not in full
    )

"""dlm_bench.runner and dlm_bench.records: resumability, progress, the chosen checkpoint,
and the records of a run. The tools are replaced by a recorder that leaves what each real
tool leaves behind (checkpoints, MMEngine scalars, metrics, dumped predictions)."""

from __future__ import annotations

import dataclasses
import os
import os.path as osp
import pickle

import pytest
import torch
from dlm_bench import records, runner
from dlm_bench.catalog import METRICS
from dlm_bench.plan import Planner
from dlm_bench.protocol import QUICK
from dlm_bench.runs import Run

from tests.helpers.bench_runs import Recorder


def ssv2_plan(tmp_path):
    preset = dataclasses.replace(
        QUICK, primaries=('ssv2',), methods=('vpt_middle',), prompt_seeds=(0,)
    )
    return Planner(str(tmp_path / 'runs'), preset).build()


def test_a_run_trains_tests_and_records_what_the_report_needs(tmp_path, capsys):
    plan = ssv2_plan(tmp_path)
    recorder = Recorder()
    assert runner.execute(plan, runner=recorder) == []
    tools = [c[0] for c in recorder.calls]
    assert tools == ['tools/train.py', 'tools/train.py', 'tools/export_prompts.py', 'tools/test.py']
    out = capsys.readouterr().out
    assert 'run 1 of 2 (full/ssv2/seed0), ETA 00:0' in out and 'run 2 of 2' in out
    run = plan.runs['vpt_middle/ssv2/seed0']
    # the tested checkpoint is the one that validated best, not the last one
    assert os.readlink(run.path('chosen.pth')) == 'best_acc_top1_epoch_2.pth'
    test = recorder.calls[-1]
    assert test[2] == osp.join(run.work_dir, 'chosen.pth')
    assert test[test.index('--dump') + 1].endswith('test_predictions.pkl')
    info = run.record()
    assert info['iterations'] == 10 and info['val_best'] == pytest.approx(60.0)
    assert info['wall_s'] >= info['train_s'] >= 0

    val, result = records.run_records(run)
    assert val['split'] == 'val' and val['value'] == pytest.approx(60.0)
    assert val['curve']['val'] == [(5, pytest.approx(40.0)), (10, pytest.approx(60.0))]
    assert result['split'] == 'test' and result['value'] == pytest.approx(50.0)
    assert result['videos'] == ['0', '1'] and result['per_video'] == [100.0, 0.0]
    assert result['train_head'] is True and result['iterations'] == 10
    assert result['trainable_percent'] == 0.25
    for field in records.FIELDS:
        assert field in result

    # done: nothing runs again
    recorder = Recorder()
    assert runner.execute(ssv2_plan(tmp_path), runner=recorder) == []
    assert recorder.calls == []


def test_a_run_in_flight_gives_no_record(tmp_path):
    plan = ssv2_plan(tmp_path)
    runner.execute(plan, runner=Recorder())
    tested = [r['name'] for r in records.collect(plan) if r['split'] == 'test']
    assert tested == ['vpt_middle/ssv2/seed0']
    # trained, test not yet written: the page must not show its validation value either
    # (the full fine-tuning run it starts from is finished and keeps its validation record)
    os.remove(plan.runs['vpt_middle/ssv2/seed0'].metrics_file(None))
    names = {r['name'] for r in records.collect(ssv2_plan(tmp_path))}
    assert names == {'full/ssv2/seed0'}


def test_an_interrupted_training_resumes(tmp_path):
    plan = ssv2_plan(tmp_path)
    runner.execute(plan, runner=Recorder())
    run = plan.runs['vpt_middle/ssv2/seed0']
    os.remove(run.path('run.json'))
    os.remove(run.metrics_file(None))
    recorder = Recorder()
    runner.execute(ssv2_plan(tmp_path), runner=recorder)
    train = recorder.calls[0]
    assert train[: train.index('--cfg-options')][-1] == '--resume'


def test_dlm_is_tested_with_static_and_dynamic_prompts(tmp_path):
    preset = dataclasses.replace(QUICK, primaries=('ssv2',), methods=('dlm',), prompt_seeds=(0,))
    plan = Planner(str(tmp_path / 'runs'), preset).build()
    recorder = Recorder()
    runner.execute(plan, runner=recorder)
    tests = [c for c in recorder.calls if c[0] == 'tools/test.py']
    assert [c[-1] for c in tests] == ['model.infer_mode=static', 'model.infer_mode=dynamic']
    result = records.run_records(plan.runs['dlm/ssv2/seed0'])
    assert [r['infer_mode'] for r in result if r['split'] == 'test'] == ['static', 'dynamic']


def test_a_failed_run_skips_what_needs_it(tmp_path, capsys):
    recorder = Recorder(fail=['full/ssv2'])
    failed = runner.execute(ssv2_plan(tmp_path), runner=recorder)
    assert failed == ['full/ssv2/seed0', 'vpt_middle/ssv2/seed0']
    assert len(recorder.calls) == 1
    assert 'skipped, it needs full/ssv2/seed0' in capsys.readouterr().out
    recorder = Recorder()
    assert runner.execute(ssv2_plan(tmp_path), runner=recorder) == []


def test_runs_side_by_side_wait_for_what_they_need(tmp_path, capsys):
    """Two jobs: a run starts only once its dependencies trained, the records are those
    of the one-at-a-time execution, and a failure still skips what needs it."""
    preset = dataclasses.replace(
        QUICK, primaries=('ssv2',), methods=('full', 'vpt_middle'), prompt_seeds=(0, 1)
    )
    plan = Planner(str(tmp_path / 'runs'), preset).build()
    recorder = Recorder()
    assert runner.execute(plan, runner=recorder, jobs=2) == []
    order = [c[c.index('--work-dir') + 1] for c in recorder.calls if c[0] == 'tools/train.py']
    for name, run in plan.runs.items():
        for dep in run.deps:
            assert order.index(plan.runs[dep].work_dir) < order.index(run.work_dir), name
    assert all(run.done for run in plan.runs.values())
    assert 'run 4 of 4' in capsys.readouterr().out

    plan = Planner(str(tmp_path / 'again'), preset).build()
    failed = runner.execute(plan, runner=Recorder(fail=['full/ssv2/seed1']), jobs=2)
    assert failed == ['full/ssv2/seed1', 'vpt_middle/ssv2/seed1']
    assert 'vpt_middle/ssv2/seed1: skipped, it needs full/ssv2/seed1' in capsys.readouterr().out


def test_pretrained_models_wait_for_the_foundation_run(tmp_path):
    """The full protocol fine-tunes SSv2's ViT from the foundation run's backbone."""
    preset = dataclasses.replace(
        QUICK, primaries=('ssv2',), methods=('vpt_middle',), prompt_seeds=(0,), pretrained=True
    )
    plan = Planner(str(tmp_path / 'runs'), preset).build()
    recorder = Recorder()
    assert runner.execute(plan, runner=recorder) == []
    assert [c[1] for c in recorder.calls if c[0] == 'tools/train.py'] == [
        'configs/foundation/demo_vit.py',
        'configs/tasks/ssv2_demo_foundation.py',
        'configs/baselines/vpt_middle/ssv2.py',
    ]
    base = plan.runs['foundation/seed0']
    assert not base.test and base.validation == 'none'
    full = recorder.calls[1]
    assert f'model.backbone.init_cfg.checkpoint={base.work_dir}/backbone.pth' in full


def test_the_main_comparisons_run_before_the_controls():
    """An interrupted reproduction has Table 1 before the variants, the controls and the
    low-data runs, whatever order the planner added them in."""
    runs = [
        Run('dlm_only_ava/ssv2/seed0', 'dlm_only_ava', 'ssv2', 0, 'c', 'w', variant='ava'),
        Run('full/ssv2/low_data/seed0', 'full', 'ssv2', 0, 'c', 'w', regime='low_data'),
        Run('dlm_exact/ssv2/seed0', 'dlm_exact', 'ssv2', 0, 'c', 'w'),
        Run('dlm/ssv2/seed0', 'dlm', 'ssv2', 0, 'c', 'w'),
        Run('dlm/ssv2/lr1e-3/seed0', 'dlm', 'ssv2', 0, 'c', 'w', stage='grid'),
        Run('dlm_random_aux/ssv2/seed0', 'dlm_random_aux', 'ssv2', 0, 'c', 'w'),
        Run('full/ssv2/seed0', 'full', 'ssv2', 0, 'c', 'w'),
        Run('zero_shot_dlm/ucf101/seed0', 'zero_shot_dlm', 'ucf101', 0, 'c', 'w'),
    ]
    assert [r.name for r in runner.ordered(runs)] == [
        'full/ssv2/seed0',
        'dlm/ssv2/lr1e-3/seed0',
        'dlm/ssv2/seed0',
        'dlm_exact/ssv2/seed0',
        'zero_shot_dlm/ucf101/seed0',
        'dlm_random_aux/ssv2/seed0',
        'dlm_only_ava/ssv2/seed0',
        'full/ssv2/low_data/seed0',
    ]


def test_curves_put_validation_at_the_end_of_its_epoch():
    entries = [
        {'loss': 2.0, 'epoch': 1, 'iter': 10, 'step': 10},
        {'loss': 1.5, 'epoch': 1, 'iter': 19, 'step': 19},
        {'acc/top1': 0.4, 'step': 1},
        {'loss': 1.2, 'epoch': 2, 'iter': 38, 'step': 38},
        # a resumed session repeats epoch 2 and goes on
        {'loss': 1.1, 'epoch': 2, 'iter': 38, 'step': 38},
        {'acc/top1': 0.5, 'step': 2},
    ]
    curve = records.curves(entries, METRICS['ssv2'])
    assert curve['val'] == [(19, pytest.approx(40.0)), (38, pytest.approx(50.0))]
    assert curve['loss'] == [(10, 2.0), (19, 1.5), (38, 1.1)]
    iters = records.curves([{'loss': 1.0, 'iter': 5, 'step': 5}, {'acc/top1': 0.3, 'step': 5}],
                           METRICS['ssv2'])  # fmt: skip
    assert iters['val'] == [(5, pytest.approx(30.0))]


def test_curves_of_points_logged_at_their_iteration_keep_it():
    # dlm.ValidationPointsHook: two points inside epoch 1 (10 iterations) and one at its end
    entries = [
        {'loss': 2.0, 'epoch': 1, 'iter': 5, 'step': 5},
        {'acc/top1': 0.4, 'step': 5},
        {'acc/top1': 0.45, 'step': 8},
        {'loss': 1.5, 'epoch': 1, 'iter': 10, 'step': 10},
        {'acc/top1': 0.5, 'step': 10},
    ]
    curve = records.curves(entries, METRICS['ssv2'], val_by_iter=True)
    assert [step for step, _ in curve['val']] == [5, 8, 10]
    assert records.best_validation(entries, METRICS['ssv2'], val_by_iter=True) == 50.0
    # read as epochs, the three points would collapse onto far-away iterations
    assert [step for step, _ in records.curves(entries, METRICS['ssv2'])['val']] != [5, 8, 10]
    assert records.validates_by_iteration({'default_hooks.logger.log_metric_by_epoch': False})
    assert not records.validates_by_iteration({})


def test_predictions_without_the_fields_are_an_error(tmp_path):
    path = tmp_path / 'p.pkl'
    path.write_bytes(pickle.dumps([{'pred_score': torch.tensor([1.0])}]))
    with pytest.raises(ValueError, match="p.pkl: predicted sample 0 has no 'gt_label'"):
        records.per_video_scores(METRICS['ssv2'], str(path))
    assert records.per_video_scores(METRICS['ava'], str(path)) is None  # mAP: seeds only


def test_results_file_round_trip_checks_fields(tmp_path):
    path = str(tmp_path / 'results.json')
    records.write([dict.fromkeys(records.FIELDS)], path, {'command': 'x'})
    assert records.read(path)[1] == {'command': 'x'}
    records.write([{'method': 'dlm'}], path)
    with pytest.raises(ValueError, match='record 0 has no primary'):
        records.read(path)


def test_f1_runs_ask_their_metric_for_per_video_counts_and_check_them(tmp_path):
    run = Run('full/50salads/seed0', 'full', '50salads', 0, 'configs/tasks/50salads_demo.py',
              'runs/full/50salads/seed0', repo=str(tmp_path))  # fmt: skip
    command = runner.test_command(run, None, 'chosen.pth')
    assert 'test_evaluator.per_video_file=runs/full/50salads/seed0/test_per_video.json' in command
    ssv2 = dataclasses.replace(run, task='ssv2', config='configs/tasks/ssv2_demo.py')
    assert not any('per_video_file' in c for c in runner.test_command(ssv2, None, None))
    path = tmp_path / 'per_video.json'
    path.write_text('{"videos": ["a", "b"], "counts": {"f1@50": [[1, 0, 0], [1, 0, 1]]}}')
    ids, counts = records.f1_counts_per_video(METRICS['50salads'], str(path), 80.0)
    assert ids == ['a', 'b'] and counts == [[1, 0, 0], [1, 0, 1]]
    with pytest.raises(ValueError, match=r'give f1@50 80.000000, but the run scored 75.000000'):
        records.f1_counts_per_video(METRICS['50salads'], str(path), 75.0)
    path.write_text('{"videos": ["a"], "counts": {}}')
    with pytest.raises(ValueError, match=r'per_video.json: expected \{"videos"'):
        records.f1_counts_per_video(METRICS['50salads'], str(path), 80.0)
    assert records.f1_counts_per_video(METRICS['50salads'], str(tmp_path / 'none.json'), 1) is None


def test_a_work_dir_trained_otherwise_is_told_apart_from_the_plans_run(tmp_path):
    run = Run('dlm/ssv2/seed0', 'dlm', 'ssv2', 0, 'configs/dlm/ssv2_aux5.py', 'w',
              model_options={'model.primary.checkpoint': 'w/full/ssv2/seed0/chosen.pth'},
              train_options={'randomness.seed': 0}, repo=str(tmp_path))  # fmt: skip
    command = runner.train_command(run, resume=False)
    assert run.mismatch(command) is None  # nothing trained yet
    run.update_record(
        train_s=1.0, train_command=['python', *runner.train_command(run, resume=True)]
    )
    assert run.mismatch(command) is None  # --resume is not a difference
    # the same run's checkpoint, written absolute, is the same run
    absolute = {'model.primary.checkpoint': f'{tmp_path}/w/full/ssv2/seed0/chosen.pth'}
    assert (
        run.mismatch(runner.train_command(dataclasses.replace(run, model_options=absolute), False))
        is None
    )
    # so is a derived config of the root (attribution runs), relative or absolute
    derived = dataclasses.replace(run, config=f'{tmp_path}/configs/dlm/ssv2_aux5.py')
    assert run.mismatch(runner.train_command(derived, False)) is None
    other_seed = dataclasses.replace(run, train_options={'randomness.seed': 1})
    assert (
        run.mismatch(runner.train_command(other_seed, False)) == 'randomness.seed=0 (this plan: 1)'
    )
    other_config = dataclasses.replace(run, config='configs/dlm/ssv2_aux5_ungated.py')
    assert run.mismatch(runner.train_command(other_config, False)) == (
        'config configs/dlm/ssv2_aux5.py (this plan: configs/dlm/ssv2_aux5_ungated.py)'
    )
    elsewhere = {'model.primary.checkpoint': 'other/full/ssv2/seed1/chosen.pth'}
    assert 'model.primary.checkpoint=w/full/ssv2/seed0/chosen.pth (this plan: other/' in (
        run.mismatch(runner.train_command(dataclasses.replace(run, model_options=elsewhere), False))
    )


def test_a_root_reached_through_a_symbolic_link_holds_the_same_runs(tmp_path):
    """A work tree whose work_dirs is a link to another's trains the same files: its
    absolute paths differ, its runs do not. A path to another file still differs."""
    real = tmp_path / 'main' / 'splits'
    real.mkdir(parents=True)
    (real / 'train_low.bundle').write_text('a\n')
    (real / 'other.bundle').write_text('b\n')
    (tmp_path / 'tree').mkdir()
    (tmp_path / 'tree' / 'splits').symlink_to(real)
    linked = str(tmp_path / 'tree' / 'splits' / 'train_low.bundle')
    option = 'train_dataloader.dataset.ann_file'
    run = Run('full/50salads/low_data/seed0', 'full', '50salads', 0,
              'configs/tasks/50salads_demo.py', 'w', train_options={option: linked},
              repo=str(tmp_path))  # fmt: skip
    run.update_record(train_s=1.0, train_command=['python', *runner.train_command(run, False)])
    same = dataclasses.replace(run, train_options={option: str(real / 'train_low.bundle')})
    assert run.mismatch(runner.train_command(same, False)) is None
    other = dataclasses.replace(run, train_options={option: str(real / 'other.bundle')})
    assert run.mismatch(runner.train_command(other, False)).startswith(f'{option}={linked}')


def test_a_run_recorded_before_plans_pinned_the_exact_start_was_trained_ungated(tmp_path):
    """Plans left ``model.exact_start`` out while the configs' DLM started ungated; since
    the configs start exactly, plans pin it: such a work dir is the pinned ungated run, and
    never the exact-start one."""
    run = Run('dlm/ssv2/seed0', 'dlm', 'ssv2', 0, 'configs/dlm/ssv2_aux5.py', 'w',
              train_options={'randomness.seed': 0}, repo=str(tmp_path))  # fmt: skip
    run.update_record(train_s=1.0, train_command=['python', *runner.train_command(run, False)])
    ungated = dataclasses.replace(run, model_options={'model.exact_start': False})
    exact = dataclasses.replace(run, model_options={'model.exact_start': True})
    assert run.mismatch(runner.train_command(ungated, False)) is None
    assert run.mismatch(runner.train_command(exact, False)) == (
        'model.exact_start=False (this plan: True)'
    )
    assert run.mismatch(runner.train_command(run, False)) is None  # nothing pinned either
    # a run that recorded the option keeps what it recorded
    exact.update_record(train_command=['python', *runner.train_command(exact, False)])
    assert exact.mismatch(runner.train_command(ungated, False)) == (
        'model.exact_start=True (this plan: False)'
    )


def test_map_runs_ask_their_metric_for_video_replicates_and_check_them(tmp_path):
    import json

    run = Run('dlm/ava/seed0', 'dlm', 'ava', 0, 'configs/dlm/ava_aux5.py',
              'runs/dlm/ava/seed0', repo=str(tmp_path))  # fmt: skip
    command = runner.test_command(run, 'static', 'chosen.pth')
    expected = 'test_evaluator.replicates_file=runs/dlm/ava/seed0/test_replicates_static.json'
    assert expected in command and not any('per_video_file' in c for c in command)
    assert run.replicates_file('static') == str(
        tmp_path / 'runs/dlm/ava/seed0/test_replicates_static.json'
    )
    for task in ('thumos14', 'imagenet_vid', 'youtube_vis'):
        other = dataclasses.replace(run, task=task)
        assert any('replicates_file' in c for c in runner.test_command(other, None, None))
    for task in ('ssv2', '50salads'):  # accuracy, F1 counts: no replicates
        other = dataclasses.replace(run, task=task)
        assert not any('replicates_file' in c for c in runner.test_command(other, None, None))
    # the predicted samples are dumped only where the per-video scores are read from them
    # (top-1 accuracy): YouTube-VIS's dumped masks took about 1 GB a test run
    for task in METRICS:
        dumped = '--dump' in runner.test_command(dataclasses.replace(run, task=task), None, None)
        assert dumped == (METRICS[task].per_video == 'accuracy'), task
    assert {t for t in METRICS if METRICS[t].per_video == 'accuracy'} >= {'ssv2'}

    # AVA reports mAP/overall in [0, 1]; the record holds percent
    path = tmp_path / 'replicates.json'
    table = dict(videos=['a', 'b'], replicates=2, seed=0, values=[0.5, 0.75], value=0.625)
    path.write_text(json.dumps(table))
    found = records.replicates_per_video(METRICS['ava'], str(path), 62.5)
    assert found == dict(videos=['a', 'b'], replicate_values=[50.0, 75.0], replicate_seed=0)
    with pytest.raises(ValueError, match=r'replicates.json: its "value" gives mAP/overall '
                                         r'62.500000, but the run scored 60.000000'):  # fmt: skip
        records.replicates_per_video(METRICS['ava'], str(path), 60.0)
    path.write_text(json.dumps(dict(table, values=[0.5])))
    with pytest.raises(ValueError, match=r'replicates.json: "replicates" is 2 but it holds 1'):
        records.replicates_per_video(METRICS['ava'], str(path), 62.5)
    path.write_text(json.dumps(dict(table, videos=['b', 'a'])))
    with pytest.raises(ValueError, match='"videos" must be the sorted unique test videos'):
        records.replicates_per_video(METRICS['ava'], str(path), 62.5)
    path.write_text('{"videos": []}')
    with pytest.raises(ValueError, match=r'replicates.json: expected \{"videos"'):
        records.replicates_per_video(METRICS['ava'], str(path), 62.5)
    assert records.replicates_per_video(METRICS['ava'], str(tmp_path / 'none.json'), 1) is None

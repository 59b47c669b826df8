"""dlm_bench.estimate: the whole protocol's size and duration before its grids ran."""

from __future__ import annotations

import dataclasses

from dlm_bench import cli, estimate
from dlm_bench.catalog import REPO, load_config
from dlm_bench.protocol import FULL
from dlm_bench.runner import Clock
from dlm_bench.runs import Run

PART = dataclasses.replace(
    FULL, primaries=('50salads',), methods=('full', 'dlm'), prompt_seeds=(0, 1, 2),
    other_seeds=(0, 1, 2), zero_shot=False, controls=False, low_data=False,
)  # fmt: skip


def test_the_whole_plan_assumes_each_grid_chose_the_configs_own_rate(tmp_path):
    plan = estimate.whole_plan(str(tmp_path), PART, REPO)
    own = load_config('configs/dlm/50salads_aux5.py', REPO).optim_wrapper.optimizer.lr
    chosen = min(PART.lr_grid, key=lambda lr: abs(lr - own))
    dlm = [r for r in plan.runs.values() if r.method == 'dlm' and r.stage == 'final']
    assert sorted(r.seed for r in dlm) == [0, 1, 2] and {r.lr for r in dlm} == {chosen}
    exact = [r for r in plan.runs.values() if r.method == 'dlm_exact']
    assert len(exact) == 3 and not plan.pending
    # 3 grid runs (one of them is seed 0's final run), 2 more DLM seeds, 3 exact starts,
    # 3 calibrations, 3 full runs, the foundation and 5 auxiliaries' seed-0 models
    assert len(plan.runs) == 3 + 2 + 3 + 3 + 3 + 1 + 5


def test_runs_are_priced_by_the_results_files_measured_walls():
    records = [
        dict(name='dlm/50salads/seed0', method='dlm', primary='50salads', wall_s=100.0),
        dict(name='dlm/50salads/seed0', method='dlm', primary='50salads', wall_s=100.0),
        dict(name='dlm/50salads/seed1', method='dlm', primary='50salads', wall_s=200.0),
    ]
    clock = Clock.from_records(records, jobs=2)
    run = Run('dlm_exact/50salads/seed2', 'dlm_exact', '50salads', 2, '', '')
    assert clock.estimate(run) == 150.0  # each run once, its family's mean
    assert clock.eta([run] * 48) == '01:00'  # 48 x 150 s on 2 jobs


def test_the_dry_run_of_a_part_prints_its_whole_size(tmp_path, capsys):
    argv = ['--dry-run', '--root', str(tmp_path), '--primaries', '50salads', '--methods',
            'full', 'dlm', '--seeds', '0', '1', '2']  # fmt: skip
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    whole = estimate.whole_plan(str(tmp_path), cli.preset_of(cli.parse_args(argv)), REPO)
    line = next(ln for ln in out.splitlines() if ln.startswith('the whole plan'))
    assert f'{len(whole.runs)} runs, {len(whole.runs)} to run, estimated ' in line
    # per seed: an exact start and a calibration; 5 auxiliaries alone and left out
    assert '  variants: 6 runs, ' in out and '  attribution: 30 runs, ' in out


def test_the_estimate_splits_the_runs_by_task_dearest_first():
    clock = Clock(jobs=1)
    runs = [Run(f'full/{task}/seed{seed}', 'full', task, seed, '', '')
            for task, seeds in (('ssv2', 1), ('ava', 2)) for seed in range(seeds)]  # fmt: skip
    clock.add(runs[0], 3600.0)  # ssv2: 1 h a run
    clock.add(runs[1], 7200.0)  # ava: 2 h a run
    plan = type('Plan', (), {'runs': {run.name: run for run in runs}})()
    out = estimate.lines(plan, clock)
    assert '  by task: ava 04:00, ssv2 01:00' in out
    assert out[-1].endswith('3 runs, 3 to run, estimated 05:00 (hh:mm) with 1 jobs')

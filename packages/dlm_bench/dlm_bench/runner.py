"""Executes a plan: resumable, with progress and an ETA from measured wall times.

Per run: ``tools/train.py`` (``--resume`` when its work dir holds a checkpoint of an
interrupted training), then ``chosen.pth`` linked to the checkpoint that validated best
(MMEngine's ``best_*.pth``; the last checkpoint where the run did not validate), the
prompts of that checkpoint exported to ``prompts_chosen.pth`` (prompt methods), and one
``tools/test.py`` per inference mode on the test split (``--dump`` where the per-video
scores are read from the predicted samples). A run whose records exist
is skipped; a failed run is reported and the runs that need it are skipped.
"""

from __future__ import annotations

import glob
import os
import os.path as osp
import shlex
import subprocess
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from functools import partial

from .catalog import METHODS, METRICS, REPO, VARIANT_METHODS, measured_seconds
from .plan import CHOSEN, PROMPTS, Plan, Run
from .protocol import validates_by_iteration
from .records import PER_VIDEO, best_validation, iterations, read_scalars

#: runs whose model holds prompts to export
NO_PROMPTS = ('foundation', 'full', 'hps')


def options(values: dict) -> list:
    return [f'{key}={_format(value)}' for key, value in values.items()]


def _format(value) -> str:
    if isinstance(value, (list, tuple)):
        return '[' + ','.join(_format(v) for v in value) + ']'
    return str(value)


def last_checkpoint(run: Run) -> str | None:
    """The file MMEngine's ``last_checkpoint`` in the run's work dir names, if it exists
    (a relative path is relative to the repository, where the tools run)."""
    pointer = run.path('last_checkpoint')
    if not osp.isfile(pointer):
        return None
    with open(pointer) as handle:
        path = handle.read().strip()
    if not osp.isabs(path):
        path = osp.join(run.repo, path)
    return path if osp.isfile(path) else None


def best_checkpoint(work_dir: str) -> str | None:
    """The checkpoint ``CheckpointHook(save_best=...)`` kept (it removes earlier bests)."""
    found = sorted(glob.glob(osp.join(work_dir, 'best_*.pth')), key=osp.getmtime)
    return found[-1] if found else None


def link_chosen(run: Run) -> str | None:
    """Point ``chosen.pth`` at the best validated checkpoint (else the last one)."""
    target = best_checkpoint(run.path()) if run.validation != 'none' else None
    target = target or last_checkpoint(run)
    if target is None:
        return None
    link = run.path(CHOSEN)
    if osp.lexists(link):
        os.remove(link)
    os.symlink(osp.relpath(target, run.path()), link)
    return target


def train_command(run: Run, resume: bool) -> list:
    command = ['tools/train.py', run.config, '--work-dir', run.work_dir]
    if resume:
        command.append('--resume')
    values = {**run.model_options, **run.train_options}
    return command + (['--cfg-options', *options(values)] if values else [])


#: metrics whose per-video form they write themselves: ``Metric.per_video`` -> (the
#: evaluator's option, the test file's stem): F1's per-video counts, mAP's replicates
PER_VIDEO_FILES = {
    'f1_counts': ('per_video_file', 'per_video'),
    'replicates': ('replicates_file', 'replicates'),
}


def test_command(run: Run, mode: str | None, checkpoint: str | None) -> list:
    command = ['tools/test.py', run.config]
    if checkpoint is not None:
        command.append(checkpoint)
    suffix = '' if mode is None else f'_{mode}'
    command += [
        '--work-dir',
        osp.join(run.work_dir, f'test{suffix}'),
        '--metrics-json',
        osp.join(run.work_dir, osp.basename(run.metrics_file(mode))),
    ]
    per_video = METRICS[run.task].per_video
    if per_video in PER_VIDEO:  # the per-video scores are read from the dumped samples
        # (only there: YouTube-VIS's dumped masks take about 1 GB a test run)
        command += ['--dump', osp.join(run.work_dir, osp.basename(run.dump_file(mode)))]
    values = dict(run.model_options)
    written = PER_VIDEO_FILES.get(per_video)
    if written is not None:  # what the intervals resample, written by the metric itself
        option, stem = written
        values[f'test_evaluator.{option}'] = osp.join(
            run.work_dir, osp.basename(run.test_file(stem, mode))
        )
    if mode is not None:
        values['model.infer_mode'] = mode
    return command + (['--cfg-options', *options(values)] if values else [])


def foreign_runs(plan: Plan) -> list:
    """``'name: what differs'`` for each work dir of the plan whose recorded training is
    not the one the plan would run (``Run.mismatch``): kept, it would be reported as this
    plan's run."""
    found = []
    for run in plan.runs.values():
        if run.train:
            difference = run.mismatch(train_command(run, resume=False))
            if difference:
                found.append(f'{run.name}: trained with {difference}')
    return found


def export_command(run: Run) -> list:
    return [
        'tools/export_prompts.py',
        run.config,
        osp.join(run.work_dir, CHOSEN),
        '--out',
        osp.join(run.work_dir, PROMPTS),
        '--cfg-options',
        *options(run.model_options),
    ]


def call(command: list, repo: str = REPO, log: str | None = None) -> int:
    """Run a tool of the repository, its output streamed (or appended to ``log``: runs
    executed side by side keep their output apart)."""
    print('$ python', shlex.join(command), flush=True)
    env = dict(os.environ)
    env.setdefault('OMP_NUM_THREADS', '1')
    if log is None:
        return subprocess.call([sys.executable, *command], cwd=repo, env=env)
    os.makedirs(osp.dirname(log), exist_ok=True)
    with open(log, 'a') as handle:
        handle.write('$ python ' + shlex.join(command) + '\n')
        handle.flush()
        return subprocess.call(
            [sys.executable, *command], cwd=repo, env=env, stdout=handle, stderr=subprocess.STDOUT
        )


#: execution tiers: the single-task models first (every run needs them), then the grid,
#: Table 1, the method variants, Table 2, the knowledge controls, the low-data regime; so
#: that an interrupted reproduction has the main comparisons first
TIERS = (
    ('full', lambda r: r.method in ('foundation', 'full') and r.regime == 'full'),
    ('grid', lambda r: r.stage == 'grid'),
    ('table1', lambda r: r.regime == 'full' and r.method in METHODS),
    ('variants', lambda r: r.regime == 'full' and r.method in VARIANT_METHODS),
    ('zero_shot', lambda r: r.method.startswith('zero_shot')),
    ('random_aux', lambda r: r.regime == 'full' and r.method == 'dlm_random_aux'),
    ('attribution', lambda r: r.regime == 'full'),
    ('low_data', lambda r: True),
)


def tier(run: Run) -> int:
    return next(index for index, (_, test) in enumerate(TIERS) if test(run))


def ordered(runs) -> list:
    """``runs`` by tier, in plan order within a tier (a run's dependencies are in an
    earlier tier or earlier in its own)."""
    runs = list(runs)
    return sorted(runs, key=lambda run: (tier(run), runs.index(run)))


class Clock:
    """Estimates the time left from the wall times measured in this session (per method
    family and primary), falling back to the prior measurements of the catalog."""

    def __init__(self, jobs: int = 1):
        self.measured: dict = {}
        self.jobs = max(1, int(jobs))

    @staticmethod
    def family(run: Run) -> tuple:
        method = run.method
        for prefix in ('full', 'hps', 'zero_shot', 'vpt', 'mvlpt'):
            if method.startswith(prefix):
                return prefix, run.task
        return 'dlm', run.task

    @classmethod
    def from_records(cls, records: list, jobs: int = 1) -> Clock:
        """A clock that knows the wall times of earlier runs (``docs/results.json``'s
        records, one per run), so that an estimate starts from this benchmark's measures."""
        clock, seen = cls(jobs), set()
        for record in records:
            if record.get('wall_s') and record['name'] not in seen:
                seen.add(record['name'])
                run = Run(record['name'], record['method'], record['primary'], None, '', '')
                clock.add(run, float(record['wall_s']))
        return clock

    def add(self, run: Run, seconds: float) -> None:
        self.measured.setdefault(self.family(run), []).append(seconds)

    def estimate(self, run: Run) -> float:
        times = self.measured.get(self.family(run))
        if times:
            return sum(times) / len(times)
        return measured_seconds(run.method, run.task)

    def eta(self, runs) -> str:
        seconds = sum(self.estimate(run) for run in runs) / self.jobs
        return f'{int(seconds // 3600):02d}:{int(seconds % 3600 // 60):02d}'


def execute(
    plan: Plan, dry_run: bool = False, runner=None, clock: Clock | None = None, jobs: int = 1
) -> list:
    """Run every run that is not done, dependencies first, ``jobs`` at a time (each tool
    runs single-threaded); returns the failed runs' names. With ``jobs > 1`` each run's
    tool output goes to ``<work dir>/reproduce.log``."""
    clock = clock or Clock(jobs)
    todo = ordered(run for run in plan.runs.values() if not run.done)
    if len(todo) < len(plan.runs):
        print(
            f'{len(plan.runs) - len(todo)} of {len(plan.runs)} runs done before, kept', flush=True
        )
    if dry_run or jobs <= 1:
        failed = _execute_in_turn(plan, todo, runner or call, clock, dry_run)
    else:
        failed = _execute_side_by_side(plan, todo, runner, clock, jobs)
    return [name for name in plan.runs if name in failed]


def _blocked(plan: Plan, run: Run, failed: set) -> list:
    return [d for d in run.deps if d in failed or not plan.runs[d].trained]


def _execute_one(run: Run, runner, clock: Clock, dry_run: bool = False) -> bool:
    start = time.time()
    if not _train(run, runner, dry_run) or not _test(run, runner, dry_run):
        return False
    if not dry_run:
        run.update_record(wall_s=run.record().get('train_s', 0.0) + _test_s(run))
        clock.add(run, time.time() - start)
    return True


def _execute_in_turn(plan: Plan, todo: list, runner, clock: Clock, dry_run: bool) -> set:
    failed: set = set()
    for index, run in enumerate(todo, start=1):
        tag = f'run {index} of {len(todo)} ({run.name})'
        print(f'{tag}, ETA {clock.eta(todo[index - 1 :])}', flush=True)
        blocked = _blocked(plan, run, failed)
        if blocked and not dry_run:
            print(f'{tag}: skipped, it needs {", ".join(blocked)}', flush=True)
            failed.add(run.name)
            continue
        if not _execute_one(run, runner, clock, dry_run):
            failed.add(run.name)
    return failed


def _execute_side_by_side(plan: Plan, todo: list, runner, clock: Clock, jobs: int) -> set:
    """Start the first waiting run whose dependencies are trained whenever fewer than
    ``jobs`` run; a run whose dependency failed is skipped."""
    failed: set = set()
    waiting, running, started = list(todo), {}, 0
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        while waiting or running:
            for run in list(waiting):
                if len(running) >= jobs:
                    break
                active = {r.name for r in waiting} | {r.name for r in running.values()}
                blocked = _blocked(plan, run, failed)
                if any(d in failed or d not in active for d in blocked):
                    waiting.remove(run)
                    failed.add(run.name)
                    print(f'{run.name}: skipped, it needs {", ".join(blocked)}', flush=True)
                    continue
                if blocked:
                    continue
                waiting.remove(run)
                started += 1
                left = clock.eta([run, *waiting, *running.values()])
                print(f'run {started} of {len(todo)} ({run.name}) started, ETA {left}', flush=True)
                own = runner or partial(call, log=run.path('reproduce.log'))
                running[pool.submit(_execute_one, run, own, clock)] = run
            if not running:  # nothing can start: a dependency is outside the plan's todo
                for run in waiting:
                    failed.add(run.name)
                    print(f'{run.name}: skipped, it needs {", ".join(run.deps)}', flush=True)
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                run = running.pop(future)
                if not future.result():
                    failed.add(run.name)
                    print(f'{run.name}: failed (log: {run.path("reproduce.log")})', flush=True)
                else:
                    print(f'{run.name}: done', flush=True)
    return failed


def _test_s(run: Run) -> float:
    return sum(run.record().get('test_s', {}).values())


def _train(run: Run, runner, dry_run: bool) -> bool:
    if run.trained:
        return True
    if run.derived_config is not None and not dry_run:
        os.makedirs(run.path(), exist_ok=True)
        with open(run.path('config.py'), 'w') as handle:
            handle.write(run.derived_config)
    resume = last_checkpoint(run) is not None
    command = train_command(run, resume)
    if dry_run:
        print('$ python', shlex.join(command), flush=True)
        return True
    start = time.time()
    code = runner(command)
    seconds = time.time() - start + run.record().get('failed_train_s', 0.0)
    if code:
        print(f'{run.name}: training failed (exit {code})', flush=True)
        run.update_record(failed_train_s=seconds)
        return False
    entries = read_scalars(run.path())
    checkpoint = link_chosen(run)
    if checkpoint is None:
        print(f'{run.name}: training left no checkpoint', flush=True)
        return False
    if run.method not in NO_PROMPTS:
        code = runner(export_command(run))
        if code:
            print(f'{run.name}: prompt export failed (exit {code})', flush=True)
            return False
    run.update_record(
        train_s=seconds,
        iterations=iterations(entries),
        val_best=best_validation(
            entries, METRICS[run.task], validates_by_iteration(run.train_options)
        ),
        checkpoint=osp.relpath(checkpoint, run.repo),
        train_command=['python', *command],
    )
    return True


def _test(run: Run, runner, dry_run: bool) -> bool:
    if not run.test:
        return True
    checkpoint = osp.join(run.work_dir, CHOSEN) if run.train else None
    times = dict(run.record().get('test_s', {}))
    for mode in run.modes:
        if osp.isfile(run.metrics_file(mode)):
            continue
        command = test_command(run, mode, checkpoint)
        if dry_run:
            print('$ python', shlex.join(command), flush=True)
            continue
        start = time.time()
        code = runner(command)
        if code or not osp.isfile(run.metrics_file(mode)):
            print(f'{run.name}: test ({mode or "default"}) failed (exit {code})', flush=True)
            return False
        times[str(mode)] = time.time() - start
        run.update_record(test_s=times)
    return True

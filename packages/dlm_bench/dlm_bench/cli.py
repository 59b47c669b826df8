"""The command line of the benchmark (``tools/reproduce.py``).

    python tools/reproduce.py [--quick] [--dry-run] [--report-only] [--merge [--drop]]
        [--primaries P ...] [--methods M ...] [--seeds K ...] [--prompt-seeds K ...]
        [--root DIR]

Plans the runs of the preset (``--quick``: one primary, full fine-tuning against DLM, two
seeds; default: the full protocol), runs what is missing (resumable), and after each
round plans again: the learning rate of each prompt method is chosen from its grid runs on
the validation split, so the runs that need it are planned once those ran. Then it writes
``docs/results.json`` (one record per run) and ``docs/results.md`` with its figures
(``--quick``: its runs and page in ``work_dirs/reproduce_quick``, apart from the full
protocol's); a root whose runs another protocol trained is refused. ``--merge`` keeps
what that file already holds for the primaries not run here (``dlm_bench.merge``: the
protocol run in parts); a part that would erase results the file holds for its primaries
and it does not (a part that stopped early) is refused unless ``--drop`` says so.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import os.path as osp
import sys
import time

from . import estimate, merge, provenance, records, report, splits
from .catalog import METHODS, PRIMARIES, REPO
from .merge import reproducing_command
from .plan import Planner
from .protocol import PRESETS, scope
from .runner import Clock, call, execute, foreign_runs
from .sections import FLAGS, SECTIONS, held_by

#: the files a run of the command line writes, and their names
OUTPUTS = dict(
    results='results.json',
    report='results.md',
    figure='fig3_layer2.png',
    heatmap='task_affinity.png',
)
#: rounds of plan -> run -> plan again (grid, then the seeds that need its choice, ...)
MAX_ROUNDS = 4


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Reproduce Tables 1-2 and Fig. 3 (demo)')
    parser.add_argument('--quick', action='store_true', help='one primary, full vs DLM, 2 seeds')
    parser.add_argument('--primaries', nargs='+', choices=PRIMARIES)
    parser.add_argument('--methods', nargs='+', choices=METHODS)
    parser.add_argument('--seeds', nargs='+', type=int, help='the seeds of every method')
    parser.add_argument(
        '--prompt-seeds',
        nargs='+',
        type=int,
        help="the prompt methods' seeds, after --seeds (the protocol gives them 5, the rest 3)",
    )
    parser.add_argument(
        '--root',
        help='where the runs live (work_dirs/reproduce; --quick: work_dirs/reproduce_quick)',
    )
    outputs = 'default: docs/; --quick: in its root, so the committed page stays as it is'
    parser.add_argument('--results', help=f'the records ({outputs})')
    parser.add_argument('--report', help=f'the page ({outputs})')
    parser.add_argument('--figure', help=f'Fig. 3 ({outputs})')
    parser.add_argument('--heatmap', help=f'the task-affinity map ({outputs})')
    parser.add_argument(
        '--jobs',
        type=int,
        default=os.cpu_count() or 1,
        help='runs side by side, each single-threaded (default: one per CPU core)',
    )
    parser.add_argument('--dry-run', action='store_true', help='print the plan and commands only')
    parser.add_argument(
        '--merge',
        action='store_true',
        help='keep what the existing results file holds for the primaries not run here '
        '(the protocol in parts: each part supersedes its own primaries)',
    )
    parser.add_argument(
        '--leave-out',
        nargs='+',
        default=[],
        choices=SECTIONS,
        help='sections of the page this part does not hold: their own runs are not planned '
        "(Table 1's are: the others pair with them), and with --merge the file keeps an "
        "earlier part's (the protocol in session-sized parts)",
    )
    parser.add_argument(
        '--drop',
        action='store_true',
        help='with --merge: let this part erase the results of its primaries that it does not '
        'hold itself (without it such a merge is refused, the erased rows named)',
    )
    parser.add_argument(
        '--report-only', action='store_true', help='write the page from the runs that exist'
    )
    args = parser.parse_args(argv)
    # --quick's single-task models train from scratch: its runs must never share a root
    # with the full protocol's (same run names, other models), nor its page the docs' one
    args.root = args.root or ('work_dirs/reproduce_quick' if args.quick else 'work_dirs/reproduce')
    outdir = args.root if args.quick else 'docs'
    for name, default in OUTPUTS.items():
        if getattr(args, name) is None:
            setattr(args, name, osp.join(outdir, default))
    return args


def preset_of(args):
    preset = PRESETS['quick' if args.quick else 'full']
    changes = {}
    if args.primaries:
        changes['primaries'] = tuple(p for p in PRIMARIES if p in args.primaries)
    if args.methods:
        changes['methods'] = tuple(m for m in METHODS if m in args.methods)
    if args.seeds:
        seeds = tuple(dict.fromkeys(args.seeds))
        changes.update(prompt_seeds=seeds, other_seeds=seeds)
    if args.prompt_seeds:
        changes['prompt_seeds'] = tuple(dict.fromkeys(args.prompt_seeds))
    for section in args.leave_out:
        if section in FLAGS:
            changes[section] = False
    return dataclasses.replace(preset, **changes)


def summary(plan) -> str:
    grid = sum(1 for r in plan.runs.values() if r.stage == 'grid')
    tests = sum(len(r.modes) for r in plan.runs.values() if r.test)
    text = f'{len(plan.runs)} runs ({grid} learning-rate candidates, {tests} test evaluations)'
    if plan.pending:
        text += f'; planned once the validation results exist: {", ".join(plan.pending)}'
    return text


def refuse_foreign(plan, root: str) -> bool:
    """Print the runs under ``root`` that another protocol trained; True if there are."""
    foreign = foreign_runs(plan)
    if foreign:
        print(
            f'error: {root} holds runs that this plan did not train (a root holds one '
            'protocol; give this one its own --root, or remove those work dirs):\n  '
            + '\n  '.join(foreign),
            flush=True,
        )
    return bool(foreign)


def main(argv=None, runner=None, repo: str = REPO) -> int:
    args = parse_args(argv)
    start = time.time()
    planner = Planner(args.root, preset_of(args), repo)
    if not held_by(planner.preset, args.leave_out):
        print(
            'error: --leave-out leaves this part no section of the page to hold (it plans '
            f'{", ".join(held_by(planner.preset)) or "none"})',
            flush=True,
        )
        return 2
    plan = planner.build()
    print(summary(plan) + f' under {args.root}', flush=True)
    if refuse_foreign(plan, args.root):
        return 2
    for note in planner.preset.notes + tuple(plan.notes):
        print(f'note: {note}', flush=True)
    failed = []
    if args.dry_run:
        failed = execute(plan, dry_run=True)
        if plan.pending:
            whole = estimate.whole_plan(args.root, planner.preset, repo)
            clock = estimate.clock_of(osp.join(repo, args.results), args.jobs)
            print('\n'.join(estimate.lines(whole, clock)), flush=True)
        return 1 if failed else 0
    if not args.report_only:
        # the bench preset that the runs read; the default sets where HPS runs (its
        # partner task trains on them)
        wanted = ('default', 'bench') if 'hps' in planner.preset.methods else ('bench',)
        for preset in wanted:
            code = (runner or call)(['tools/data/make_demo_data.py', '--preset', preset])
            if code:
                print(f'demo data ({preset}): failed (exit {code})', flush=True)
                return code
        # the foundation run's pretraining pool (data/demo/foundation), written once
        pool = osp.join(repo, 'data', 'demo', 'foundation', 'foundation_train_list_videos.txt')
        if any(r.method == 'foundation' for r in plan.runs.values()) and not osp.isfile(pool):
            command = ['-m', 'tasks_recognition.demo.foundation_pool', '--root', 'data/demo']
            code = (runner or call)(command)
            if code:
                print(f'foundation pool: failed (exit {code})', flush=True)
                return code
        clock = Clock(args.jobs)
        for _ in range(MAX_ROUNDS):
            # the low-data subsets that this round's runs train on
            for task in sorted({r.task for r in plan.runs.values() if r.regime == 'low_data'}):
                splits.write_splits(planner.root_abs, task, repo, planner.data_root)
            failed = execute(plan, runner=runner, clock=clock, jobs=args.jobs)
            before = set(plan.runs)
            plan = planner.build()
            if refuse_foreign(plan, args.root):
                return 2
            if set(plan.runs) <= before or failed:
                break
            print('planned again: ' + summary(plan), flush=True)
    found = records.rounded(records.collect(plan))  # the page shows what the file holds
    held = {p: held_by(planner.preset, args.leave_out) for p in planner.preset.primaries}
    results = osp.join(repo, args.results)
    if args.merge and osp.isfile(results):
        # a part supersedes all that the file holds for its primaries: one that has no run
        # here (a report written on a machine without its work dirs) would be erased
        empty = [p for p in planner.preset.primaries if not any(r['primary'] == p for r in found)]
        if empty:
            print(
                f'error: --merge: no run of {", ".join(empty)} under {args.root}, so merging '
                f'would erase what {args.results} holds for it; run it here first, or leave '
                'it out of --primaries',
                flush=True,
            )
            return 2
        lost = merge.dropped(records.read(results)[0], found, held)
        if lost and not args.drop:
            print(
                f'error: --merge: {args.results} holds results that this part does not, and '
                'merging would erase them:\n  '
                + '\n  '.join(f'{p}: {", ".join(kinds)}' for p, kinds in lost.items())
                + '\nfinish those runs here, or add --drop to erase them',
                flush=True,
            )
            return 2
    validation: dict = {}
    data = {}  # the bench data this part's runs read (a page written alone records none)
    for task in planner.preset.primaries:
        folder = osp.join(repo, splits.set_folder(task, planner.data_root))
        digest = None if args.report_only else provenance.data_digest(folder)
        if digest:
            data[task] = digest
        validation.setdefault(planner.validation(task), []).append(task)
    meta = dict(
        scope=scope(planner.preset),
        command=reproducing_command(argv if argv is not None else sys.argv[1:]),
        machine=provenance.machine(repo),
        data=data,
        notes=list(planner.preset.notes) + plan.notes,
        pending=plan.pending,
        unfinished=[run.name for run in plan.runs.values() if not run.done],
        failed=failed,
        validation=validation,
        session_wall_s=time.time() - start,
        id=datetime.datetime.fromtimestamp(start).isoformat(),
        held=held,
    )
    if args.merge and osp.isfile(results):
        found, meta = merge.merge(records.read(results), found, meta, planner.preset)
    elif args.merge:
        print(f'--merge: no {args.results} yet; it holds this invocation alone', flush=True)
    records.write(found, results, meta)
    report.write(
        found,
        meta,
        osp.join(repo, args.report),
        osp.join(repo, args.figure),
        osp.join(repo, args.heatmap),
        source=args.results,
    )
    print(f'wrote {args.results} and {args.report}', flush=True)
    if failed:
        print('failed or skipped: ' + ', '.join(failed), flush=True)
    return 1 if failed else 0

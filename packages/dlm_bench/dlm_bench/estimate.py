"""How big and how long the whole protocol is before its grids ran.

Until the learning-rate grids have validated, the plan holds only the runs that can be
planned (``Plan.pending`` lists the rest), so its ETA covers a fraction of the work. The
estimate plans as if every grid had chosen the config's own rate (the same number of runs
whatever it chooses) and prices each run by the wall times measured in this benchmark's
results file, where it has the run's family and primary, else by the catalog's priors.
"""

from __future__ import annotations

import os.path as osp

from . import records
from .plan import Planner
from .runner import TIERS, Clock, tier


def whole_plan(root: str, preset, repo: str):
    """The plan with every grid assumed resolved (for counting and pricing only)."""
    return Planner(root, preset, repo, assume_grid=True).build()


def clock_of(results: str, jobs: int) -> Clock:
    """A clock primed with the wall times of ``results`` (when it exists)."""
    if not osp.isfile(results):
        return Clock(jobs)
    found, _ = records.read(results)
    return Clock.from_records(found, jobs)


def lines(plan, clock: Clock) -> list:
    """One line per tier (runs not done yet, hours at ``clock.jobs`` side by side), one
    with the same runs by task, dearest first (which primaries a part of a session can
    hold), and the total."""
    todo: dict = {}
    by_task: dict = {}
    for run in plan.runs.values():
        if not run.done:
            todo.setdefault(TIERS[tier(run)][0], []).append(run)
            by_task.setdefault(run.task, []).append(run)
    out = [
        f'  {name}: {len(todo[name])} runs, {clock.eta(todo[name])} (hh:mm)'
        for name, _ in TIERS
        if name in todo
    ]
    cost = {task: sum(clock.estimate(run) for run in runs) for task, runs in by_task.items()}
    if len(cost) > 1:
        dearest = sorted(cost, key=lambda task: (-cost[task], task))
        out.append(
            '  by task: ' + ', '.join(f'{task} {clock.eta(by_task[task])}' for task in dearest)
        )
    left = [run for runs in todo.values() for run in runs]
    out.append(
        f'the whole plan, once the grids chose: {len(plan.runs)} runs, {len(left)} to run, '
        f'estimated {clock.eta(left)} (hh:mm) with {clock.jobs} jobs'
    )
    return out

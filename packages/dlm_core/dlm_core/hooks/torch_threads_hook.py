"""Caps PyTorch's intra-op threads for a run (CPU training on a shared machine).

With more busy processes than cores, every OpenMP parallel region of a multi-threaded
process waits for threads that are not scheduled: measured here, the demo recognizer ran
at 2.3 s per iteration with PyTorch's default of 2 threads beside other jobs on 2 cores,
and at 0.27 s with 1 thread (the tasks_recognition demo). MMEngine's ``env_cfg`` sets
thread counts only for distributed runs, so a config asks for it with this hook.
"""

from __future__ import annotations

import torch
from mmengine.hooks import Hook

from ..registry import HOOKS


@HOOKS.register_module()
class TorchThreadsHook(Hook):
    """``torch.set_num_threads(num_threads)`` before the run (train, val or test)."""

    priority = 'VERY_HIGH'

    def __init__(self, num_threads: int = 1):
        if int(num_threads) < 1:
            raise ValueError(f'num_threads must be >= 1, got {num_threads!r}')
        self.num_threads = int(num_threads)

    def before_run(self, runner) -> None:
        torch.set_num_threads(self.num_threads)

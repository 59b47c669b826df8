"""Stop a run at the first non-finite loss, before anything is saved from it."""

from __future__ import annotations

import math
import os.path as osp

from mmengine.hooks import Hook

from ..registry import HOOKS


@HOOKS.register_module()
class FiniteLossHook(Hook):
    """Raise when a logged loss is NaN or infinite, naming the iteration.

    Runs before the checkpoint hook of the same iteration, so the weights the bad step
    produced are never written; the message names the last good checkpoint to resume
    from (with a lower learning rate, say).
    """

    priority = 'ABOVE_NORMAL'

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        for key, value in (outputs or {}).items():
            if 'loss' not in key:
                continue
            number = float(value.detach() if hasattr(value, 'detach') else value)
            if not math.isfinite(number):
                last = osp.join(runner.work_dir, 'last_checkpoint')
                resume = 'none was written yet'
                if osp.isfile(last):
                    with open(last) as handle:
                        resume = handle.read().strip()
                raise FloatingPointError(
                    f'{key} = {number} at iteration {runner.iter + 1} (epoch {runner.epoch + 1}); '
                    f'the run stops before saving it. Last good checkpoint: {resume}'
                )

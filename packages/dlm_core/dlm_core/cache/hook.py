"""Attaches a model's tap cache to a run: its work dir and its train data."""

from __future__ import annotations

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ..registry import HOOKS


@HOOKS.register_module()
class TapCacheHook(Hook):
    """Before training, hand the model's tap cache the run's work dir, train dataset and
    its config, so it can decide (and log) whether this run uses it.

    Needed by a model configured with ``tap_cache=dict(...)``; ``tools/train.py`` adds it
    for such configs. It does nothing for a model without a tap cache.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if getattr(model, 'tap_cache', None) is None:
            return
        loader_cfg = runner.cfg.get('train_dataloader') or {}
        model.attach_tap_cache(
            runner.work_dir,
            dataset=runner.train_dataloader.dataset,
            dataset_cfg=loader_cfg.get('dataset'),
        )

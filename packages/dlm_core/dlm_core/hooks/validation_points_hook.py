"""Validates a fixed number of times over an epoch-based run, inside epochs when needed.

MMEngine's ``EpochBasedTrainLoop`` validates at epoch ends only, so a prompt schedule of 2
epochs gives a validation curve of 2 points and a best checkpoint chosen among 2. A
benchmark that picks every method's checkpoint by one rule (about ten validations a run)
needs the points where the epochs are too few: this hook validates after the iterations
``round(k * max_iters / points)``, ``k = 1 .. points``, mid-epoch or at an epoch's end.

The loop must not validate as well (``train_cfg.val_begin`` past ``max_epochs``). The
iteration a point is logged at is the number of iterations trained before it: set the
logger's ``log_metric_by_epoch=False`` so that ``scalars.json`` says so (by default it
logs the epoch, which several points share).
"""

from __future__ import annotations

from mmengine.hooks import Hook
from mmengine.runner import EpochBasedTrainLoop

from ..errors import ConfigError
from ..registry import HOOKS


@HOOKS.register_module()
class ValidationPointsHook(Hook):
    """Run the validation loop ``points`` times, evenly over the training iterations."""

    priority = 'LOW'

    def __init__(self, points: int = 10):
        if int(points) < 1:
            raise ConfigError(f'ValidationPointsHook: points must be >= 1, got {points!r}')
        self.points = int(points)
        self.at: frozenset = frozenset()
        self._last = None

    def before_train(self, runner) -> None:
        loop = runner.train_loop
        if not isinstance(loop, EpochBasedTrainLoop):
            raise ConfigError(
                f'ValidationPointsHook: train_cfg: expected an epoch-based loop, got '
                f'{type(loop).__name__} (an iteration-based loop validates every '
                'train_cfg.val_interval iterations by itself)'
            )
        if loop.val_begin <= loop.max_epochs:
            raise ConfigError(
                f'ValidationPointsHook: train_cfg.val_begin={loop.val_begin} lets the loop '
                f'validate within its {loop.max_epochs} epochs as well; set it to '
                f'{loop.max_epochs + 1} so that the hook alone validates'
            )
        total = loop.max_iters
        self.at = frozenset(round(total * k / self.points) for k in range(1, self.points + 1)) - {0}

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        self._validate_at(runner)

    def after_train_epoch(self, runner) -> None:
        self._validate_at(runner)

    def _validate_at(self, runner) -> None:
        # ``runner.iter`` counts the iterations trained so far, both before an iteration
        # and after an epoch; an epoch's end and the next epoch's start share it
        trained = runner.iter
        if trained not in self.at or trained == self._last:
            return
        self._last = trained
        runner.val_loop.run()
        runner.model.train()  # the validation loop left it in eval mode mid-epoch

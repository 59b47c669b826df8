"""Static calibration: the last epochs (or iterations) of a DLM run tune the static prompts.

Static inference prompts the primary with the moving average of the per-batch prompts,
which the head (and gates) never saw during training. The calibration stage closes that
gap: from epoch (or iteration) ``begin`` on, the moving average becomes plain trainable
prompts (``model.calibrated_prompts``) and training goes on with them, the head and the
gates, while no mapper and no auxiliary model runs. Static inference and the prompt files
written from then on use the calibrated prompts.

It is a stage of the ordinary train loop, not a loop of its own: MMEngine's checkpoints,
resume, logging, validation and schedulers work through it unchanged. Whether the stage
has begun is a buffer of the model (saved with the trained tensors), so a run resumed
inside the stage stays in it. Extend ``train_cfg.max_epochs`` (or ``max_iters``) by the
calibration length and end the main schedule at ``begin`` (``param_scheduler`` ``end=``).
The calibrated prompts are unused before the stage and the mapper during it, so a
distributed run needs ``model_wrapper_cfg=dict(type='MMDistributedDataParallel',
find_unused_parameters=True)``.
"""

from __future__ import annotations

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from ..errors import ConfigError
from ..registry import HOOKS


@HOOKS.register_module()
class StaticCalibrationHook(Hook):
    """Begin the calibration stage of a ``MultiTaskPromptModel(static_calibration=True)``.

    Args:
        begin: first epoch (epoch-based loops) or iteration (iteration-based loops) of the
            stage, 0-based; it must leave at least one epoch / iteration of training.
        lr: learning rate of every parameter group during the stage (``None``: whatever
            the schedule gives); set once when the stage begins, saved with the optimizer.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, begin: int, lr: float | None = None):
        if int(begin) < 0:
            raise ConfigError(f'StaticCalibrationHook begin must be >= 0, got {begin!r}')
        if lr is not None and float(lr) <= 0:
            raise ConfigError(f'StaticCalibrationHook lr must be positive, got {lr!r}')
        self.begin = int(begin)
        self.lr = None if lr is None else float(lr)

    @staticmethod
    def _model(runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if not getattr(model, 'static_calibration', False):
            raise ConfigError(
                'StaticCalibrationHook needs model.static_calibration=True on a '
                f'dlm.MultiTaskPromptModel; the runner has {type(model).__name__}'
                + (' without it' if hasattr(model, 'static_calibration') else '')
            )
        return model

    @staticmethod
    def _by_epoch(runner) -> bool:
        return hasattr(runner.train_loop, 'max_epochs')

    def before_train(self, runner) -> None:
        self._model(runner)
        if is_model_wrapper(runner.model) and not getattr(
            runner.model, 'find_unused_parameters', True
        ):
            raise ConfigError(
                'static calibration leaves the mapper unused in its last epochs (and the '
                'calibrated prompts before them): set model_wrapper_cfg=dict(type='
                "'MMDistributedDataParallel', find_unused_parameters=True)"
            )
        loop = runner.train_loop
        length = loop.max_epochs if self._by_epoch(runner) else loop.max_iters
        unit = 'max_epochs' if self._by_epoch(runner) else 'max_iters'
        if self.begin >= length:
            raise ConfigError(
                f'StaticCalibrationHook begin={self.begin} leaves no calibration: '
                f'train_cfg.{unit}={length}; extend {unit} by the calibration length'
            )

    def before_train_epoch(self, runner) -> None:
        if self._by_epoch(runner) and runner.epoch >= self.begin:
            self._start(runner)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if not self._by_epoch(runner) and runner.iter >= self.begin:
            self._start(runner)

    def _start(self, runner) -> None:
        model = self._model(runner)
        if model.calibrating:  # begun earlier, or restored from a checkpoint by resume
            return
        model.begin_static_calibration()
        if self.lr is not None:
            wrappers = getattr(runner.optim_wrapper, '_optim_wrappers', None)
            for wrapper in (wrappers or {'': runner.optim_wrapper}).values():
                for group in wrapper.optimizer.param_groups:
                    group['lr'] = self.lr
        print_log(
            f'static calibration begins at epoch {runner.epoch + 1}, iteration '
            f'{runner.iter + 1}: the moving-average prompts are trained as plain prompts '
            f'(lr {"from the schedule" if self.lr is None else self.lr}); no mapper and no '
            'auxiliary model runs from here on',
            logger='current',
        )

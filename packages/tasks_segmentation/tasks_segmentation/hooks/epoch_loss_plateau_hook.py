"""ASFormer's learning-rate schedule: halve the rate when the training loss stalls."""

from __future__ import annotations

import math

from mmengine.hooks import Hook

from ..registry import HOOKS


@HOOKS.register_module()
class EpochLossPlateauHook(Hook):
    """``torch.optim.lr_scheduler.ReduceLROnPlateau(mode='min')`` on the mean training
    loss of each epoch, as MS-TCN / ASFormer schedule their rate.

    MMEngine's ``ReduceOnPlateauLR`` reads validation metrics only; ASFormer watches the
    training loss, so this hook does, and keeps its state in the checkpoint (resume).

    Args:
        factor: the rate is multiplied by ``factor`` on a plateau.
        patience: epochs without improvement before the rate drops.
        threshold: relative improvement that counts (PyTorch's default ``1e-4``).
        min_lr: the rate never drops below this.
    """

    priority = 'LOW'

    def __init__(self, factor=0.5, patience=3, threshold=1e-4, min_lr=0.0):
        if not 0 < factor < 1:
            raise ValueError(f'factor must be in (0, 1), got {factor}')
        self.factor, self.patience = float(factor), int(patience)
        self.threshold, self.min_lr = float(threshold), float(min_lr)
        self.best = math.inf
        self.bad_epochs = 0
        self._sum = self._count = 0.0

    def before_train_epoch(self, runner) -> None:
        self._sum = self._count = 0.0

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if outputs and 'loss' in outputs:
            self._sum += float(outputs['loss'])
            self._count += 1

    def after_train_epoch(self, runner) -> None:
        if not self._count:
            return
        loss = self._sum / self._count
        if loss < self.best * (1 - self.threshold):
            self.best, self.bad_epochs = loss, 0
            return
        self.bad_epochs += 1
        if self.bad_epochs > self.patience:
            self.bad_epochs = 0
            for group in runner.optim_wrapper.param_groups:
                group['lr'] = max(group['lr'] * self.factor, self.min_lr)
            runner.logger.info(
                f'EpochLossPlateauHook: training loss {loss:.4f} has not improved on '
                f'{self.best:.4f} for {self.patience + 1} epochs; learning rate now '
                f'{runner.optim_wrapper.param_groups[0]["lr"]:.3g}'
            )

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint['epoch_loss_plateau'] = dict(best=self.best, bad_epochs=self.bad_epochs)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get('epoch_loss_plateau')
        if state:
            self.best, self.bad_epochs = float(state['best']), int(state['bad_epochs'])

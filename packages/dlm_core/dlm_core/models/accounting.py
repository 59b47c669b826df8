"""What every model of the core shares: frozen parts held in eval mode, and the count
of trained parameters against the task models' (the paper's "trainable %")."""

from __future__ import annotations

from .freezing import count_parameters, hold_eval


class TrainableAccountingMixin:
    """For a :class:`~mmengine.model.BaseModel` that sets ``self._frozen`` (modules to
    keep in eval mode) and defines ``backbone_parameters``."""

    _frozen: list = []

    def train(self, mode: bool = True):
        super().train(mode)
        hold_eval(self._frozen)
        return self

    @property
    def trainable_parameters(self) -> int:
        return count_parameters([self], trainable_only=True)

    @property
    def trainable_percent(self) -> float:
        """Trainable parameters as a % of the task models' (the paper reports 10.8 %)."""
        return 100.0 * self.trainable_parameters / max(1, self.backbone_parameters)

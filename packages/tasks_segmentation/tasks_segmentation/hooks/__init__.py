"""Training hooks of this package's tasks (registered in its ``HOOKS``)."""

from .epoch_loss_plateau_hook import EpochLossPlateauHook
from .instance_pretrain_hook import BackboneInstancePretrainHook

__all__ = ['BackboneInstancePretrainHook', 'EpochLossPlateauHook']

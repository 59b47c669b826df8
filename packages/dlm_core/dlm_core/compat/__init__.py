"""Fixes for known defects of the dependency stack, applied once at ``import dlm_core``.

Each fix lives in its own module, says why it exists, and does nothing when the
dependency it works around is fixed or absent (docs/method.md §5).
"""

from .mmaction_drn import install_missing_drn_finder
from .safe_checkpoint import allow_mmengine_checkpoints

install_missing_drn_finder()
allow_mmengine_checkpoints()

__all__ = ['allow_mmengine_checkpoints', 'install_missing_drn_finder']

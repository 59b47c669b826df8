"""The MS-TCN / ASFormer training loss: frame-wise cross-entropy plus a smoothing term."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..registry import MODELS


@MODELS.register_module()
class ActionSegmentationLoss(nn.Module):
    """Cross-entropy on every stage plus ``smooth_weight`` times the truncated MSE of
    neighbouring frames' log-probabilities (T-MSE, clamped at ``smooth_clamp``), which
    punishes over-segmentation. Summed over stages, as MS-TCN and ASFormer do.

    Both terms average over *valid* frames (pairs of valid neighbours for T-MSE), so a
    padded batch gives each video the weight it would have alone; for one unpadded video
    this is exactly the reference loss.
    """

    def __init__(self, smooth_weight: float = 0.15, smooth_clamp: float = 16.0):
        super().__init__()
        self.smooth_weight = float(smooth_weight)
        self.smooth_clamp = float(smooth_clamp)

    def forward(
        self, stage_logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        """``stage_logits (S, B, K, T)``, ``targets (B, T)`` (ignored where ``mask`` is
        False), ``mask (B, T)`` bool."""
        mask = mask.bool()
        targets = targets.masked_fill(~mask, -100)
        pairs = (mask[:, 1:] & mask[:, :-1]).to(stage_logits.dtype)  # (B, T-1)
        num_classes = stage_logits.shape[2]
        loss_cls = stage_logits.new_zeros(())
        loss_smooth = stage_logits.new_zeros(())
        for logits in stage_logits:
            loss_cls = loss_cls + F.cross_entropy(logits, targets, ignore_index=-100)
            if logits.shape[-1] < 2:
                continue
            log_probs = F.log_softmax(logits, dim=1)
            squared = (log_probs[:, :, 1:] - log_probs.detach()[:, :, :-1]) ** 2
            squared = squared.clamp(0, self.smooth_clamp) * pairs[:, None]
            loss_smooth = loss_smooth + squared.sum() / (pairs.sum() * num_classes).clamp_min(1)
        return dict(loss_cls=loss_cls, loss_smooth=self.smooth_weight * loss_smooth)

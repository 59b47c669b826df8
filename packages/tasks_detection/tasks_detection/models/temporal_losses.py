"""Losses of the ActionFormer-style detector: sigmoid focal loss for the per-step classes
and the 1-D distance-IoU loss for the boundaries (both summed, normalised by the caller)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def sigmoid_focal_loss(
    logits: torch.Tensor, targets: torch.Tensor, alpha: float = 0.25, gamma: float = 2.0
) -> torch.Tensor:
    """Element-wise focal loss (Lin et al.): easy negatives, most steps of a long video,
    contribute little."""
    prob = logits.sigmoid()
    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction='none')
    p_t = prob * targets + (1 - prob) * (1 - targets)
    loss = ce * (1 - p_t) ** gamma
    if alpha >= 0:
        loss = loss * (alpha * targets + (1 - alpha) * (1 - targets))
    return loss


def diou_loss_1d(pred: torch.Tensor, target: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """``1 - IoU + (centre distance / enclosing length)^2`` of segments given as
    distances ``(left, right)`` from the same point; ``(N, 2)`` each, returns ``(N,)``."""
    pred_left, pred_right = pred[:, 0], pred[:, 1]
    target_left, target_right = target[:, 0], target[:, 1]
    intersection = torch.min(pred_left, target_left) + torch.min(pred_right, target_right)
    union = pred_left + pred_right + target_left + target_right - intersection
    iou = intersection / union.clamp(min=eps)
    enclosing = torch.max(pred_left, target_left) + torch.max(pred_right, target_right)
    centre_distance = 0.5 * ((pred_right - pred_left) - (target_right - target_left))
    return 1 - iou + (centre_distance / enclosing.clamp(min=eps)) ** 2

"""The foundation ViT's pretraining head: one classifier per latent factor of a pool clip.

A pool clip's label is the pair (motion, digit), ``label = motion * num_digits + digit``. A
single 110-way softmax over the pairs stays at chance on the demo's CPU budget (measured:
loss at ln 110 after 600 steps, each pair seen ~30 times), because a class is only right when
both factors are; one softmax per factor gives each its own gradient from the first step.
Prediction scores the pairs as ``p(motion) * p(digit)``, so mmaction2's ``AccMetric`` reads
the joint top-1 on the pool's validation split.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from mmaction.models.heads import TimeSformerHead
from torch import nn

from ..registry import MODELS


@MODELS.register_module()
class LatentFactorHead(TimeSformerHead):
    """``TimeSformerHead`` whose linear layer gives ``num_motions + num_digits`` logits,
    trained with a cross-entropy per factor (``loss_motion``, ``loss_digit``)."""

    def __init__(self, num_motions: int, num_digits: int, in_channels: int, **kwargs):
        if num_motions < 2 or num_digits < 2:
            raise ValueError(
                f'num_motions and num_digits must be >= 2, got {num_motions}, {num_digits}'
            )
        super().__init__(num_classes=num_motions * num_digits, in_channels=in_channels, **kwargs)
        self.num_motions, self.num_digits = int(num_motions), int(num_digits)
        self.fc_cls = nn.Linear(self.in_channels, self.num_motions + self.num_digits)

    def _factors(self, data_samples) -> tuple[torch.Tensor, torch.Tensor]:
        labels = torch.stack([sample.gt_label for sample in data_samples]).view(-1).long()
        if labels.numel() and (labels.min() < 0 or labels.max() >= self.num_classes):
            raise ValueError(
                f'pool labels must lie in [0, {self.num_classes}) (motion * '
                f'{self.num_digits} + digit), got {labels.min().item()}..{labels.max().item()}'
            )
        return labels // self.num_digits, labels % self.num_digits

    def loss_by_feat(self, cls_scores: torch.Tensor, data_samples) -> dict:
        motion, digit = (t.to(cls_scores.device) for t in self._factors(data_samples))
        motion_logits = cls_scores[:, : self.num_motions]
        digit_logits = cls_scores[:, self.num_motions :]
        return dict(
            loss_motion=F.cross_entropy(motion_logits, motion),
            loss_digit=F.cross_entropy(digit_logits, digit),
            motion_acc=(motion_logits.argmax(1) == motion).float().mean().detach(),
            digit_acc=(digit_logits.argmax(1) == digit).float().mean().detach(),
        )

    def joint_log_probs(self, cls_scores: torch.Tensor) -> torch.Tensor:
        """``(B, num_motions * num_digits)`` log p(motion) + log p(digit), in label order."""
        motion = F.log_softmax(cls_scores[:, : self.num_motions], dim=1)
        digit = F.log_softmax(cls_scores[:, self.num_motions :], dim=1)
        return (motion[:, :, None] + digit[:, None, :]).flatten(1)

    def predict_by_feat(self, cls_scores: torch.Tensor, data_samples):
        # 'prob' averaging takes a softmax: of joint log-probabilities, the joint probabilities
        return super().predict_by_feat(self.joint_log_probs(cls_scores), data_samples)

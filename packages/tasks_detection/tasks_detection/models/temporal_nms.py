"""Non-maximum suppression of 1-D segments, per class: hard NMS or Gaussian Soft-NMS
(Bodla et al.), the latter being what ActionFormer uses on THUMOS14."""

from __future__ import annotations

import torch


def segment_iou(segment: torch.Tensor, segments: torch.Tensor) -> torch.Tensor:
    """IoU of one ``(2,)`` segment with ``(N, 2)`` segments."""
    inter = (
        torch.minimum(segment[1], segments[:, 1]) - torch.maximum(segment[0], segments[:, 0])
    ).clamp(min=0)
    union = (segment[1] - segment[0]) + (segments[:, 1] - segments[:, 0]) - inter
    return inter / union.clamp(min=1e-8)


def _suppress_one_class(segments, scores, method, iou_threshold, sigma, min_score):
    segments, scores = segments.clone(), scores.clone()
    kept_segments, kept_scores = [], []
    while scores.numel():
        best = int(scores.argmax())
        kept_segments.append(segments[best])
        kept_scores.append(scores[best])
        rest = torch.ones_like(scores, dtype=torch.bool)
        rest[best] = False
        segments, scores = segments[rest], scores[rest]
        if not scores.numel():
            break
        iou = segment_iou(kept_segments[-1], segments)
        if method == 'soft':
            scores = scores * torch.exp(-(iou**2) / sigma)
        else:
            scores = torch.where(iou > iou_threshold, torch.zeros_like(scores), scores)
        keep = scores > min_score
        segments, scores = segments[keep], scores[keep]
    if not kept_scores:
        return segments.new_zeros(0, 2), scores.new_zeros(0)
    return torch.stack(kept_segments), torch.stack(kept_scores)


def batched_nms_1d(
    segments: torch.Tensor,
    scores: torch.Tensor,
    labels: torch.Tensor,
    method: str = 'soft',
    iou_threshold: float = 0.1,
    sigma: float = 0.5,
    min_score: float = 0.001,
    max_segments: int = 200,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Suppress within each class; keep the ``max_segments`` best overall.

    Soft-NMS decays the score of an overlapping segment by ``exp(-iou^2 / sigma)`` instead
    of removing it; hard NMS removes segments whose IoU with a kept one exceeds
    ``iou_threshold``.
    """
    if method not in ('soft', 'hard'):
        raise ValueError(f"nms method must be 'soft' or 'hard', got {method!r}")
    out_segments, out_scores, out_labels = [], [], []
    for label in labels.unique():
        pick = labels == label
        kept_segments, kept_scores = _suppress_one_class(
            segments[pick], scores[pick], method, iou_threshold, sigma, min_score
        )
        out_segments.append(kept_segments)
        out_scores.append(kept_scores)
        out_labels.append(torch.full_like(kept_scores, int(label), dtype=torch.long))
    if not out_scores:
        return segments.new_zeros(0, 2), scores.new_zeros(0), labels.new_zeros(0)
    segments, scores, labels = torch.cat(out_segments), torch.cat(out_scores), torch.cat(out_labels)
    order = scores.argsort(descending=True)[:max_segments]
    return segments[order], scores[order], labels[order]

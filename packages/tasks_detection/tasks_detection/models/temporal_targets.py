"""Anchor-free targets of the ActionFormer-style detector: which step of which pyramid
level is responsible for which ground-truth segment (ActionFormer's label assignment).

A step ``t`` of a level with stride ``s`` sits at ``t * s`` on the feature grid. It is a
positive for a segment when it lies in the segment's centre region (``radius * s`` around
the centre, clipped to the segment) and the larger of its two distances to the boundaries
falls in the level's regression range; among several such segments the shortest wins.
"""

from __future__ import annotations

import torch


def default_regression_ranges(num_levels: int, base: float = 4.0) -> list[tuple[float, float]]:
    """``[(0, 4), (4, 8), ..., (x, inf)]``: the ranges ActionFormer uses for THUMOS14."""
    edges = [0.0] + [base * 2**i for i in range(num_levels - 1)] + [float('inf')]
    return [(edges[i], edges[i + 1]) for i in range(num_levels)]


def level_points(lengths, strides, ranges, device=None) -> torch.Tensor:
    """``(P, 4)`` rows ``position, range_low, range_high, stride`` for all levels."""
    rows = []
    for length, stride, (low, high) in zip(lengths, strides, ranges):
        position = torch.arange(length, device=device, dtype=torch.float32) * stride
        info = torch.tensor([low, high, stride], device=device, dtype=torch.float32)
        rows.append(torch.cat([position[:, None], info.expand(length, 3)], dim=1))
    return torch.cat(rows)


def assign_targets(
    points: torch.Tensor,
    segments: torch.Tensor,
    labels: torch.Tensor,
    num_classes: int,
    radius: float = 1.5,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Targets of one video.

    Args:
        points: ``(P, 4)`` from :func:`level_points`.
        segments: ``(G, 2)`` ground-truth ``start, end`` on the feature grid.
        labels: ``(G,)`` class indices.

    Returns:
        ``cls_targets (P, C)`` (multi-hot where equally short segments tie) and
        ``reg_targets (P, 2)``: distances to the start and end in units of the stride.
    """
    num_points = points.shape[0]
    if segments.numel() == 0:
        return points.new_zeros(num_points, num_classes), points.new_zeros(num_points, 2)
    position, low, high, stride = (points[:, i : i + 1] for i in range(4))
    starts, ends = segments[:, 0][None], segments[:, 1][None]
    lengths = (ends - starts).expand(num_points, -1)
    left, right = position - starts, ends - position  # (P, G)
    centres = 0.5 * (starts + ends)
    centre_left = position - torch.maximum(centres - radius * stride, starts)
    centre_right = torch.minimum(centres + radius * stride, ends) - position
    inside = torch.minimum(centre_left, centre_right) >= 0
    reach = torch.maximum(left, right)
    in_range = (reach >= low) & (reach <= high)
    lengths = torch.where(inside & in_range, lengths, torch.full_like(lengths, float('inf')))
    shortest, chosen = lengths.min(dim=1)
    positive = torch.isfinite(shortest)
    ties = (lengths <= shortest[:, None] + 1e-3) & positive[:, None]
    one_hot = torch.nn.functional.one_hot(labels.long(), num_classes).to(points.dtype)  # (G, C)
    cls_targets = (ties.to(points.dtype) @ one_hot).clamp(max=1.0)
    rows = torch.arange(num_points, device=points.device)
    reg_targets = torch.stack([left[rows, chosen], right[rows, chosen]], dim=1) / stride
    reg_targets = reg_targets * positive[:, None].to(points.dtype)
    return cls_targets, reg_targets

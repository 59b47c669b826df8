"""Between a recognizer's normalised input and the task-neutral clip ``(B, T, 3, H, W)``.

The core hands auxiliary models the primary's batch as RGB frames in [0, 1]; a recognizer
sees them as its own test pipeline would have made them: ``num_frames`` frames spread over
the clip, the short side resized to the model's size, a centre crop, its own normalisation.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _normaliser(preprocessor: nn.Module, like: torch.Tensor):
    """``(mean, std)`` on the 0-255 scale shaped ``(3, 1, 1)``, or ``None`` (no normalisation)."""
    if not getattr(preprocessor, '_enable_normalize', False):
        return None
    mean = preprocessor.mean.reshape(-1, 1, 1).to(like)
    std = preprocessor.std.reshape(-1, 1, 1).to(like)
    return mean, std


def inputs_to_frames(inputs: torch.Tensor, preprocessor: nn.Module) -> torch.Tensor:
    """Normalised ``(B, V, 3, T, H, W)`` or ``(B, 3, T, H, W)`` inputs -> frames
    ``(B * V, T, 3, H, W)`` in [0, 1] (every view of a sample becomes one clip)."""
    if inputs.ndim == 6:
        inputs = inputs.flatten(0, 1)
    if inputs.ndim != 5 or inputs.shape[1] != 3:
        raise ValueError(
            f'recognizer inputs must be (B, V, 3, T, H, W) or (B, 3, T, H, W) (NCTHW), got '
            f'{tuple(inputs.shape)}'
        )
    frames = inputs.transpose(1, 2)  # (N, T, 3, H, W)
    norm = _normaliser(preprocessor, frames)
    if norm is not None:
        frames = frames * norm[1] + norm[0]
    return (frames / 255.0).clamp(0.0, 1.0)


def frames_to_inputs(frames: torch.Tensor, preprocessor: nn.Module) -> torch.Tensor:
    """Frames ``(B, T, 3, H, W)`` in [0, 1] -> normalised inputs ``(B, 1, 3, T, H, W)``."""
    pixels = frames * 255.0
    norm = _normaliser(preprocessor, pixels)
    if norm is not None:
        pixels = (pixels - norm[0]) / norm[1]
    return pixels.transpose(1, 2).unsqueeze(1)


def resample_clip(frames: torch.Tensor, num_frames: int, size: int) -> torch.Tensor:
    """``(B, T, 3, H, W)`` -> ``(B, num_frames, 3, size, size)``: frames evenly spread over
    the clip (each the centre of its segment, as SampleFrames does in test mode), short
    side resized to ``size``, centre crop."""
    if frames.ndim != 5 or frames.shape[2] != 3:
        raise ValueError(f'frames must be (B, T, 3, H, W), got {tuple(frames.shape)}')
    batch, length, _, height, width = frames.shape
    if length != num_frames:
        segment = length / num_frames
        index = (torch.arange(num_frames, dtype=torch.float64) * segment + segment / 2).long()
        frames = frames[:, index.clamp(max=length - 1).to(frames.device)]
    scale = size / min(height, width)
    new_h, new_w = max(size, round(height * scale)), max(size, round(width * scale))
    flat = frames.flatten(0, 1).float()
    if (new_h, new_w) != (height, width):
        flat = F.interpolate(flat, size=(new_h, new_w), mode='bilinear', align_corners=False)
    top, left = (new_h - size) // 2, (new_w - size) // 2
    flat = flat[..., top : top + size, left : left + size]
    return flat.reshape(batch, num_frames, 3, size, size).to(frames.dtype)

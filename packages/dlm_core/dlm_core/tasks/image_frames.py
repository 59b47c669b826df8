"""Frames in [0, 1] to and from the inputs of an image data preprocessor.

Detectors and segmenters built on MMEngine's ``ImgDataPreprocessor`` (mmdet's
``DetDataPreprocessor`` and its video variants) normalise with ``mean``/``std`` on the
0-255 scale, may swap BGR to RGB and pad to ``pad_size_divisor``. A plugin of such a model
undoes that for :meth:`TaskPlugin.shared_sample` and redoes it for :meth:`TaskPlugin.view`;
both directions live here so that every such plugin agrees on them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _normalisation(preprocessor) -> tuple[torch.Tensor | None, torch.Tensor | None, bool]:
    """``(mean, std, to_rgb)`` as the preprocessor applies them (``None``: no normalising)."""
    normalise = getattr(preprocessor, '_enable_normalize', False)
    mean = preprocessor.mean if normalise else None
    std = preprocessor.std if normalise else None
    return mean, std, bool(getattr(preprocessor, '_channel_conversion', False))


def inputs_to_frames(inputs: torch.Tensor, preprocessor) -> torch.Tensor:
    """Normalised inputs ``(..., 3, H, W)`` back to RGB frames in [0, 1]."""
    mean, std, to_rgb = _normalisation(preprocessor)
    frames = inputs.float()
    if mean is not None:
        frames = frames * std + mean
    if not to_rgb:  # the model sees BGR as loaded
        frames = frames.flip(-3)
    return (frames / 255.0).clamp(0, 1)


def frames_to_inputs(frames: torch.Tensor, preprocessor) -> torch.Tensor:
    """RGB frames ``(..., 3, H, W)`` in [0, 1] to the model's normalised, padded inputs."""
    mean, std, to_rgb = _normalisation(preprocessor)
    inputs = frames.float() * 255.0
    if not to_rgb:
        inputs = inputs.flip(-3)
    if mean is not None:
        inputs = (inputs - mean) / std
    divisor = int(getattr(preprocessor, 'pad_size_divisor', 1) or 1)
    height, width = inputs.shape[-2:]
    pad_h, pad_w = (-height) % divisor, (-width) % divisor
    if pad_h or pad_w:
        inputs = F.pad(inputs, (0, pad_w, 0, pad_h), value=float(preprocessor.pad_value))
    return inputs

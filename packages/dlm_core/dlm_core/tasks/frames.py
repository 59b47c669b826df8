"""Frames in [0, 1] to and from a data preprocessor's inputs, and another task's clip
resampled to a model's own clip: what :meth:`TaskPlugin.shared_sample` and
:meth:`TaskPlugin.view` of every frame-based plugin are made of.

Two layouts of preprocessed inputs occur:

* ``'NTCHW'``: frames ``(..., 3, H, W)``, normalised by MMEngine's ``ImgDataPreprocessor``
  (mmdet's ``DetDataPreprocessor`` and its video variants). Images are loaded BGR; the
  preprocessor may swap them to RGB (``bgr_to_rgb``) and pads to ``pad_size_divisor``.
* ``'NCTHW'``: clips ``(B, [V,] 3, T, H, W)``, normalised by mmaction2's
  ``ActionDataPreprocessor``. Videos are decoded RGB; ``to_rgb`` swaps the channels.

Both normalise with ``mean``/``std`` on the 0-255 scale.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F

Layout = Literal['NTCHW', 'NCTHW']
#: how frames are spread over a longer clip: ``'segments'`` takes the centre of each of
#: ``num_frames`` equal segments (mmaction2's test-mode sampling), ``'ends'`` spaces them
#: evenly from the first frame to the last
Spread = Literal['segments', 'ends']
#: how frames meet a new size: ``'stretch'`` resizes the whole frame, ``'crop'`` resizes
#: the short side and crops the centre (a square ``size``)
Fit = Literal['stretch', 'crop']


def _normalisation(preprocessor, layout: Layout):
    """``(mean, std, swap)``: the 0-255 mean and std shaped ``(3, 1, 1)`` (``None``: no
    normalising), and whether the model's channels are the RGB frames' reversed."""
    if layout not in ('NTCHW', 'NCTHW'):
        raise ValueError(f"layout must be 'NTCHW' or 'NCTHW', got {layout!r}")
    mean = std = None
    if getattr(preprocessor, '_enable_normalize', False):
        mean, std = preprocessor.mean.reshape(-1, 1, 1), preprocessor.std.reshape(-1, 1, 1)
    if layout == 'NTCHW':  # loaded BGR: the model sees BGR unless the preprocessor swaps
        swap = not getattr(preprocessor, '_channel_conversion', False)
    else:  # decoded RGB: the model sees BGR only where the preprocessor swaps
        swap = bool(getattr(preprocessor, 'to_rgb', False))
    return mean, std, swap


def inputs_to_frames(inputs: torch.Tensor, preprocessor, layout: Layout = 'NTCHW') -> torch.Tensor:
    """Normalised inputs back to RGB frames in [0, 1]: ``(..., 3, H, W)`` as they are
    (``'NTCHW'``), or ``(B * V, T, 3, H, W)`` from ``(B, [V,] 3, T, H, W)`` clips, every
    view of a sample one clip (``'NCTHW'``)."""
    mean, std, swap = _normalisation(preprocessor, layout)
    if layout == 'NCTHW':
        if inputs.ndim == 6:
            inputs = inputs.flatten(0, 1)
        if inputs.ndim != 5 or inputs.shape[1] != 3:
            raise ValueError(
                'clip inputs must be (B, V, 3, T, H, W) or (B, 3, T, H, W) (NCTHW), got '
                f'{tuple(inputs.shape)}'
            )
        inputs = inputs.transpose(1, 2)
    frames = inputs.float()
    if mean is not None:
        frames = frames * std.to(frames) + mean.to(frames)
    if swap:
        frames = frames.flip(-3)
    return (frames / 255.0).clamp(0, 1)


def frames_to_inputs(frames: torch.Tensor, preprocessor, layout: Layout = 'NTCHW') -> torch.Tensor:
    """RGB frames in [0, 1] to the model's normalised inputs: ``(..., 3, H, W)``, padded to
    the preprocessor's ``pad_size_divisor`` (``'NTCHW'``), or clips ``(B, 3, T, H, W)``
    from frames ``(B, T, 3, H, W)`` (``'NCTHW'``)."""
    mean, std, swap = _normalisation(preprocessor, layout)
    inputs = frames.float() * 255.0
    if swap:
        inputs = inputs.flip(-3)
    if mean is not None:
        inputs = (inputs - mean.to(inputs)) / std.to(inputs)
    if layout == 'NCTHW':
        return inputs.transpose(1, 2)
    divisor = int(getattr(preprocessor, 'pad_size_divisor', 1) or 1)
    height, width = inputs.shape[-2:]
    pad_h, pad_w = (-height) % divisor, (-width) % divisor
    if pad_h or pad_w:
        inputs = F.pad(inputs, (0, pad_w, 0, pad_h), value=float(preprocessor.pad_value))
    return inputs


def sample_frames(frames: torch.Tensor, num_frames: int, spread: Spread) -> torch.Tensor:
    """``num_frames`` frames of ``(B, T, 3, H, W)``, spread over the clip as ``spread``
    says (the clip itself when it has that many already)."""
    length = frames.shape[1]
    if length == num_frames:
        return frames
    if spread == 'segments':
        segment = length / num_frames
        index = (torch.arange(num_frames, dtype=torch.float64) * segment + segment / 2).long()
        index = index.clamp(max=length - 1)
    elif spread == 'ends':
        index = torch.linspace(0, length - 1, num_frames).round().long()
    else:
        raise ValueError(f"spread must be 'segments' or 'ends', got {spread!r}")
    return frames[:, index.to(frames.device)]


def resize_frames(
    frames: torch.Tensor, size: int | tuple[int, int], fit: Fit = 'stretch'
) -> torch.Tensor:
    """Frames ``(B, T, 3, H, W)`` resized (bilinear) to ``size``: ``(height, width)``
    (``'stretch'``), or a square ``size`` cut from the centre after the short side was
    resized to it (``'crop'``, as a test pipeline's ``Resize`` + ``CenterCrop``)."""
    batch, length, _, height, width = frames.shape
    if fit == 'stretch':
        new_h, new_w = (size, size) if isinstance(size, int) else tuple(size)
        out_h, out_w = new_h, new_w
    elif fit == 'crop':
        scale = size / min(height, width)
        new_h, new_w = max(size, round(height * scale)), max(size, round(width * scale))
        out_h = out_w = size
    else:
        raise ValueError(f"fit must be 'stretch' or 'crop', got {fit!r}")
    flat = frames.flatten(0, 1).float()
    if (new_h, new_w) != (height, width):
        flat = F.interpolate(flat, size=(new_h, new_w), mode='bilinear', align_corners=False)
    top, left = (new_h - out_h) // 2, (new_w - out_w) // 2
    flat = flat[..., top : top + out_h, left : left + out_w]
    return flat.reshape(batch, length, 3, out_h, out_w)


def frames_to_view(
    frames: torch.Tensor,
    preprocessor,
    layout: Layout = 'NTCHW',
    num_frames: int | None = None,
    spread: Spread = 'ends',
    size: int | tuple[int, int] | None = None,
    fit: Fit = 'stretch',
) -> torch.Tensor:
    """Another task's frames ``(B, T, 3, H, W)`` in [0, 1] as a model's input: sampled to
    ``num_frames`` (``None``: all), resized to ``size`` (``None``: as they are), then
    normalised by ``preprocessor`` (see :func:`frames_to_inputs`)."""
    if num_frames is not None:
        frames = sample_frames(frames, num_frames, spread)
    if size is not None:
        frames = resize_frames(frames, size, fit)
    return frames_to_inputs(frames, preprocessor, layout)

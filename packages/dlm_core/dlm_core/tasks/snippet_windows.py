"""The snippet windows of a feature extractor that turns frames into per-snippet features.

Feature-based tasks read one feature per snippet: snippet ``t`` covers frames
``[t * stride, t * stride + snippet_len)``, so a clip of ``T`` frames has
``T' = (T - snippet_len) // stride + 1`` of them (I3D features, for one: ``snippet_len 16,
stride 4``). An extractor that sees another task's frames must cut them the same way; this
base does the cutting, its subclasses describe each window.
"""

from __future__ import annotations

import torch
from torch import nn


class SnippetWindows(nn.Module):
    """Frames ``(B, T, 3, H, W)`` in [0, 1] cut into windows of ``snippet_len`` frames every
    ``stride`` frames; clips shorter than one window repeat their last frame.

    Args:
        snippet_len: frames per snippet (``num_frames`` of the dataset).
        stride: frames between snippet starts (``feat_stride`` of the dataset).
    """

    def __init__(self, snippet_len: int, stride: int):
        super().__init__()
        self.snippet_len, self.stride = snippet_len, stride

    def num_snippets(self, num_frames: int) -> int:
        return max(1, (num_frames - self.snippet_len) // self.stride + 1)

    def padded_frames(self, frames: torch.Tensor) -> torch.Tensor:
        """``frames`` checked to be ``(B, T, 3, H, W)``, at least one window long."""
        if frames.ndim != 5 or frames.shape[2] != 3:
            raise ValueError(
                f'{type(self).__name__} expects frames (B, T, 3, H, W) in [0, 1], got shape '
                f'{tuple(frames.shape)}'
            )
        length = frames.shape[1]
        if length < self.snippet_len:
            pad = frames[:, -1:].expand(-1, self.snippet_len - length, -1, -1, -1)
            frames = torch.cat([frames, pad], dim=1)
        return frames

    def window_index(self, num_frames: int) -> torch.Tensor:
        """``(T', snippet_len)``: the frames of each snippet of a (padded) clip."""
        starts = torch.arange(self.num_snippets(num_frames)) * self.stride
        return starts[:, None] + torch.arange(self.snippet_len)[None]

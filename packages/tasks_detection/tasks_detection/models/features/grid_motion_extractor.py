"""A deterministic snippet feature extractor that runs on any clip (docs/method.md §3).

Feature-based tasks (temporal detection, action segmentation) read precomputed per-snippet
features; a model of another task can only see such a task's samples, and such a task can
only see another task's clips, if the same features can be computed from frames. This
extractor does that without training and without weights to download: per snippet it
measures appearance (mean colour on a coarse grid), motion (Lucas-Kanade optical flow on
the same grid) and change energy, then mixes them with a fixed random orthogonal
projection drawn from ``seed`` (so features look like a generic embedding of width
``out_channels``; the same frames give the same features, up to float rounding between
thread counts, about 1e-6). Nothing in it is task-specific: any package can build it to
turn ``(B, T, 3, H, W)`` frames into ``(B, C, T')`` features. On real data the extractor
is a config choice instead (e.g. :class:`ClipBackboneExtractor` with a real checkpoint).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from dlm_core.tasks.snippet_windows import SnippetWindows

from ...registry import MODELS


@MODELS.register_module()
class GridMotionExtractor(SnippetWindows):
    """``(B, T, 3, H, W)`` frames in [0, 1] -> ``(B, out_channels, T')`` snippet features.

    Snippet ``t`` covers frames ``[t * stride, t * stride + snippet_len)``, so
    ``T' = (T - snippet_len) // stride + 1`` (the layout of THUMOS14's I3D features with
    ``snippet_len=16, stride=4``). Clips shorter than one snippet repeat their last frame.

    Args:
        snippet_len: frames per snippet (``num_frames`` of the dataset).
        stride: frames between snippet starts (``feat_stride`` of the dataset).
        resolution: frames are resized to ``resolution x resolution`` first.
        grid: descriptors are pooled on a ``grid x grid`` layout.
        out_channels: feature width; ``None`` returns the raw ``6 * grid**2`` descriptors.
        seed: seed of the projection.
    """

    def __init__(
        self,
        snippet_len: int = 4,
        stride: int = 2,
        resolution: int = 32,
        grid: int = 4,
        out_channels: int | None = 128,
        seed: int = 0,
    ):
        super().__init__(snippet_len, stride)
        if resolution % grid:
            raise ValueError(f'resolution={resolution} must be a multiple of grid={grid}')
        if snippet_len < 2:
            raise ValueError(f'snippet_len={snippet_len}: motion needs at least 2 frames')
        self.resolution, self.grid = resolution, grid
        self.raw_channels = 6 * grid * grid
        self.out_channels = out_channels or self.raw_channels
        if out_channels is None:
            projection = torch.eye(self.raw_channels)
        else:
            generator = torch.Generator().manual_seed(seed)
            gaussian = torch.randn(
                max(out_channels, self.raw_channels), out_channels, generator=generator
            )
            q, _ = torch.linalg.qr(gaussian)  # orthonormal columns
            projection = q[: self.raw_channels] * (out_channels / self.raw_channels) ** 0.5
        self.register_buffer('projection', projection, persistent=False)

    @torch.no_grad()
    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        frames = self.padded_frames(frames)
        batch = frames.shape[0]
        size = (self.resolution, self.resolution)
        small = F.interpolate(frames.flatten(0, 1).float(), size=size, mode='area')
        small = small.reshape(batch, -1, 3, *size)
        index = self.window_index(small.shape[1])  # (T', L)
        count = index.shape[0]
        snippets = small[:, index]  # (B, T', L, 3, R, R)
        descriptors = self._describe(snippets.flatten(0, 1))  # (B*T', raw)
        features = descriptors @ self.projection.to(descriptors)
        return features.reshape(batch, count, -1).transpose(1, 2).contiguous()

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        return F.adaptive_avg_pool2d(x, self.grid).flatten(1)

    def _describe(self, snippets: torch.Tensor) -> torch.Tensor:
        """``(N, L, 3, R, R)`` -> ``(N, 6 * grid**2)``: colour, flow ``u, v``, change."""
        colour = self._pool(snippets.mean(dim=1))  # (N, 3 g^2)
        gray = snippets.mean(dim=2)  # (N, L, R, R)
        mid = 0.5 * (gray[:, 1:] + gray[:, :-1])
        ix = 0.5 * (torch.roll(mid, -1, dims=-1) - torch.roll(mid, 1, dims=-1))
        iy = 0.5 * (torch.roll(mid, -1, dims=-2) - torch.roll(mid, 1, dims=-2))
        border = torch.zeros_like(mid[0, 0])
        border[1:-1, 1:-1] = 1  # no gradient across the wrap-around
        ix, iy = ix * border, iy * border
        it = gray[:, 1:] - gray[:, :-1]

        def cell_sum(x):  # sum over the frame pairs and each grid cell
            return self._pool(x.sum(dim=1)) * (self.resolution // self.grid) ** 2

        sxx, syy, sxy = cell_sum(ix * ix), cell_sum(iy * iy), cell_sum(ix * iy)
        sxt, syt = cell_sum(ix * it), cell_sum(iy * it)
        # Lucas-Kanade in each cell, ridge-regularised where the texture is flat
        ridge = 1e-2 * (self.snippet_len - 1)
        a, b, d = sxx + ridge, sxy, syy + ridge
        det = a * d - b * b
        u = -(d * sxt - b * syt) / det
        v = -(a * syt - b * sxt) / det
        change = self._pool(it.abs().mean(dim=1))
        return torch.cat([colour, u.clamp(-4, 4), v.clamp(-4, 4), 10 * change], dim=1)

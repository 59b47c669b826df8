"""A deterministic per-frame feature extractor that runs on any clip of frames.

Feature-based tasks (action segmentation, temporal detection) read per-frame features,
not pixels. The demo sets store features made by this extractor from their rendered
frames, and a feature-based model sees *another* task's sample by running it on that
sample's frames (docs/method.md §3). It has no trainable weight: its filters come from a fixed
seed, so the same frames give the same features in every run and on every machine that
runs the same float arithmetic. With real data, the features come from a real network
(I3D, ...) and a config names that extractor instead.

It is a small hand-built descriptor in the spirit of the pre-I3D features of these
datasets (HOG/HOF, improved dense trajectories): appearance from fixed random
convolutions pooled over the frame and over its moving part, the global motion of the
frame (translation, scaling, rotation) from the optical-flow constraint, and colour.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ...registry import MODELS


def _random_filters(generator, out_channels: int, in_channels: int, size: int) -> torch.Tensor:
    """Zero-mean, unit-norm random filters (edge and blob detectors of random orientation)."""
    weight = torch.randn(out_channels, in_channels, size, size, generator=generator)
    weight = weight - weight.mean(dim=(1, 2, 3), keepdim=True)
    return weight / weight.flatten(1).norm(dim=1).view(-1, 1, 1, 1)


@MODELS.register_module()
class SnippetFeatureExtractor(nn.Module):
    """Frames ``(B, T, 3, H, W)`` in [0, 1] to features ``(B, C, T)``, one per frame.

    Frame ``t`` is described with its neighbours ``t - 1`` and ``t + 1`` (the snippet):
    ``3 * num_filters`` appearance channels (mean, max and motion-weighted mean of two
    layers of fixed random convolutions on the frame and its temporal difference), 8
    motion channels (a least-squares global similarity flow: translation x/y, scale,
    rotation, plus the residual, mean and mean absolute temporal difference and the moving
    area) and 8 colour channels. Every channel is squashed by a signed ``log1p``.

    Args:
        size: frames are resized to ``size x size`` first, so any resolution works.
        hidden: filters of the first convolution.
        num_filters: filters of the second convolution.
        seed: the seed of the filters; a different seed is a different extractor.
        chunk: frames per forward chunk (bounds the memory on long videos).
    """

    def __init__(
        self,
        size: int = 32,
        hidden: int = 16,
        num_filters: int = 16,
        seed: int = 0,
        chunk: int = 512,
    ):
        super().__init__()
        generator = torch.Generator().manual_seed(int(seed))
        self.size = int(size)
        self.chunk = int(chunk)
        self.register_buffer('conv1', _random_filters(generator, hidden, 6, 5), persistent=False)
        self.register_buffer(
            'conv2', _random_filters(generator, num_filters, hidden, 3), persistent=False
        )
        ys, xs = torch.meshgrid(
            torch.linspace(-1, 1, self.size), torch.linspace(-1, 1, self.size), indexing='ij'
        )
        self.register_buffer('grid', torch.stack([xs, ys]), persistent=False)

    @property
    def out_channels(self) -> int:
        return 3 * self.conv2.shape[0] + 16

    @torch.no_grad()
    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        if frames.dim() != 5 or frames.shape[2] != 3:
            raise ValueError(
                'SnippetFeatureExtractor expects frames (B, T, 3, H, W) in [0, 1], got shape '
                f'{tuple(frames.shape)}'
            )
        batch, length = frames.shape[:2]
        frames = frames.float().contiguous()
        if frames.shape[-2:] != (self.size, self.size):
            frames = F.interpolate(
                frames.flatten(0, 1),
                size=(self.size, self.size),
                mode='bilinear',
                align_corners=False,
                antialias=True,
            ).unflatten(0, (batch, length))
        # central temporal difference, one-sided at the ends (zero for a single frame)
        padded = torch.cat([frames[:, :1], frames, frames[:, -1:]], dim=1)
        delta = (padded[:, 2:] - padded[:, :-2]) / 2
        if length > 1:
            delta[:, 0] *= 2
            delta[:, -1] *= 2
        out = []
        for start in range(0, batch * length, self.chunk):
            stop = start + self.chunk
            out.append(
                self._describe(frames.flatten(0, 1)[start:stop], delta.flatten(0, 1)[start:stop])
            )
        features = torch.cat(out).unflatten(0, (batch, length))
        features = torch.sign(features) * torch.log1p(features.abs())
        return features.transpose(1, 2).contiguous()

    def _describe(self, image: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
        """``(N, 3, s, s)`` frames and temporal differences to ``(N, C)``."""
        motion = delta.abs().mean(dim=1, keepdim=True)  # (N, 1, s, s)
        x = torch.cat([image - 0.5, 4 * delta], dim=1)
        x = F.relu(F.conv2d(x, self.conv1, stride=2, padding=2))
        x = F.relu(F.conv2d(x, self.conv2, padding=1))
        weight = F.adaptive_avg_pool2d(motion, x.shape[-2:])
        weight = weight / weight.sum(dim=(2, 3), keepdim=True).clamp_min(1e-6)
        appearance = torch.cat(
            [x.mean(dim=(2, 3)), x.amax(dim=(2, 3)), 4 * (x * weight).sum(dim=(2, 3))], dim=1
        )
        return torch.cat([appearance, self._global_motion(image, delta), self._colour(image)], 1)

    def _global_motion(self, image: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
        """Least-squares similarity flow ``u = a + c x - r y``, ``v = b + c y + r x`` from
        ``Ix u + Iy v + It = 0``, weighted towards the moving pixels."""
        gray = image.mean(dim=1)
        grad_t = delta.mean(dim=1)
        grad_x = torch.zeros_like(gray)
        grad_y = torch.zeros_like(gray)
        grad_x[:, :, 1:-1] = (gray[:, :, 2:] - gray[:, :, :-2]) / 2
        grad_y[:, 1:-1] = (gray[:, 2:] - gray[:, :-2]) / 2
        scale = self.size / 2  # flow in pixels per frame, coordinates in [-1, 1]
        xs, ys = self.grid[0], self.grid[1]
        basis = torch.stack(
            [
                grad_x,
                grad_y,
                (xs * grad_x + ys * grad_y) * scale,
                (xs * grad_y - ys * grad_x) * scale,
            ],
            dim=1,
        ).flatten(2)  # (N, 4, s*s)
        moving = grad_t.abs().flatten(1)
        weight = moving / moving.mean(dim=1, keepdim=True).clamp_min(1e-4)
        target = grad_t.flatten(1)
        rows = [basis[:, i] * weight for i in range(4)]
        normal = torch.stack(
            [torch.stack([(rows[i] * basis[:, j]).mean(1) for j in range(4)], 1) for i in range(4)],
            1,
        ) + 1e-3 * torch.eye(4, dtype=basis.dtype)
        rhs = -torch.stack([(row * target).mean(1) for row in rows], 1)
        params = torch.linalg.solve(normal, rhs[:, :, None])[:, :, 0]  # (N, 4)
        residual = (target + (params[:, :, None] * basis).sum(1)).abs().mean(1)
        area = (moving > 0.02).float().mean(dim=1)
        stats = torch.stack(
            [10 * residual, 10 * grad_t.mean(dim=(1, 2)), 10 * moving.mean(1), area], 1
        )
        return torch.cat([params, stats], dim=1)

    @staticmethod
    def _colour(image: torch.Tensor) -> torch.Tensor:
        saturation = image.amax(dim=1) - image.amin(dim=1)
        return torch.cat(
            [
                image.mean(dim=(2, 3)),
                image.std(dim=(2, 3)),
                saturation.mean(dim=(1, 2))[:, None],
                saturation.flatten(1).amax(dim=1)[:, None],
            ],
            dim=1,
        )

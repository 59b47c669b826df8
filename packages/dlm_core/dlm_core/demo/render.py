"""Draw digit tracks on a background: frames plus every label by construction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .tracks import DigitTrack

#: Opacity above which a pixel belongs to a digit's mask.
MASK_THRESHOLD = 0.5


@dataclass
class RenderedClip:
    """``frames (T, H, W, 3)`` uint8 RGB; per track ``k``: ``masks (T, K, H, W)`` bool (the
    visible pixels, later tracks drawn on top), ``boxes (T, K, 4)`` float ``x1, y1, x2, y2``
    in pixels around the visible mask (NaN when invisible), ``visible (T, K)`` bool."""

    frames: np.ndarray
    masks: np.ndarray
    boxes: np.ndarray
    visible: np.ndarray


def sample_glyph(glyph: np.ndarray, xx, yy, center, size: float, angle: float) -> np.ndarray:
    """The glyph's opacity at pixels ``(yy, xx)`` (float32 grids) for :func:`glyph_alpha`'s
    placement: the inverse mapping with bilinear sampling, zero outside the glyph."""
    rows, cols = glyph.shape
    dx, dy = xx + 0.5 - center[0], yy + 0.5 - center[1]
    theta = np.deg2rad(angle)
    # screen y points down, so a counter-clockwise turn on screen is clockwise in (x, y)
    u = (np.cos(theta) * dx - np.sin(theta) * dy) / size * cols + cols / 2 - 0.5
    v = (np.sin(theta) * dx + np.cos(theta) * dy) / size * rows + rows / 2 - 0.5
    padded = np.pad(glyph, 1)
    # outside the glyph, sample the zero border of the padded glyph
    u, v = np.clip(u + 1, 0, cols + 1), np.clip(v + 1, 0, rows + 1)
    u0, v0 = np.floor(u).astype(int), np.floor(v).astype(int)
    fu, fv = u - u0, v - v0
    u1, v1 = np.minimum(u0 + 1, cols + 1), np.minimum(v0 + 1, rows + 1)
    top = padded[v0, u0] * (1 - fu) + padded[v0, u1] * fu
    bottom = padded[v1, u0] * (1 - fu) + padded[v1, u1] * fu
    return np.clip(top * (1 - fv) + bottom * fv, 0, 1)


def glyph_alpha(
    glyph: np.ndarray, center, size: float, angle: float, height: int, width: int
) -> np.ndarray:
    """The glyph's opacity ``(H, W)`` when drawn at ``center`` with side ``size`` pixels,
    turned ``angle`` degrees counter-clockwise: inverse mapping with bilinear sampling,
    computed only inside the square that can hold the turned glyph."""
    rows, cols = glyph.shape
    # bilinear sampling reaches one glyph pixel past the glyph's square: half the diagonal
    # of that larger square, plus a pixel of margin
    reach = 0.5 * size * (1 + 2 / min(rows, cols)) * np.sqrt(2) + 1
    x0, x1 = max(0, int(center[0] - reach)), min(width, int(np.ceil(center[0] + reach)))
    y0, y1 = max(0, int(center[1] - reach)), min(height, int(np.ceil(center[1] + reach)))
    if x0 >= x1 or y0 >= y1:
        return np.zeros((height, width))
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    patch = sample_glyph(glyph, xx, yy, center, size, angle)
    alpha = np.zeros((height, width), patch.dtype)
    alpha[y0:y1, x0:x1] = patch
    return alpha


def render_clip(
    tracks: Sequence[DigitTrack], background: np.ndarray, num_frames: int | None = None
) -> RenderedClip:
    """Composite ``tracks`` (in order, later on top) over ``background``.

    ``background`` is ``(H, W, 3)`` (a still camera) or ``(T, H, W, 3)``.
    """
    if num_frames is None:
        num_frames = tracks[0].num_frames if tracks else len(background)
    for index, track in enumerate(tracks):
        if track.num_frames != num_frames:
            raise ValueError(f'track {index} has {track.num_frames} frames, the clip {num_frames}')
    still = background.ndim == 3
    height, width = background.shape[-3:-1]
    frames = np.empty((num_frames, height, width, 3), np.uint8)
    masks = np.zeros((num_frames, len(tracks), height, width), bool)
    for t in range(num_frames):
        canvas = (background if still else background[t]).astype(np.float32)
        for k, track in enumerate(tracks):
            if track.alphas[t] <= 0:
                continue
            alpha = (
                glyph_alpha(
                    track.glyph, track.centers[t], track.sizes[t], track.angles[t], height, width
                )
                * track.alphas[t]
            )
            canvas = canvas * (1 - alpha[..., None]) + track.color[None, None] * alpha[..., None]
            drawn = alpha > MASK_THRESHOLD
            masks[t, :k] &= ~drawn
            masks[t, k] = drawn
        frames[t] = np.clip(np.rint(canvas), 0, 255).astype(np.uint8)
    visible = masks.any(axis=(2, 3))
    boxes = np.full((num_frames, len(tracks), 4), np.nan, np.float32)
    for t, k in zip(*np.nonzero(visible)):
        ys, xs = np.nonzero(masks[t, k])
        boxes[t, k] = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    return RenderedClip(frames, masks, boxes, visible)

"""Textured backgrounds, so that the demo tasks are not solved by a colour threshold."""

from __future__ import annotations

import numpy as np

BACKGROUND_STYLES = ('plain', 'noise', 'stripes', 'checker', 'gradient')


def _smooth_noise(height: int, width: int, rng: np.random.Generator, cell: int) -> np.ndarray:
    coarse = rng.random((height // cell + 2, width // cell + 2))
    ys = np.linspace(0, coarse.shape[0] - 1.001, height)
    xs = np.linspace(0, coarse.shape[1] - 1.001, width)
    y0, x0 = ys.astype(int), xs.astype(int)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    top = coarse[y0][:, x0] * (1 - fx) + coarse[y0][:, x0 + 1] * fx
    bottom = coarse[y0 + 1][:, x0] * (1 - fx) + coarse[y0 + 1][:, x0 + 1] * fx
    return top * (1 - fy) + bottom * fy


def make_background(
    height: int,
    width: int,
    rng: np.random.Generator,
    style: str = 'noise',
    base_color=None,
    contrast: float = 0.25,
) -> np.ndarray:
    """A ``(H, W, 3)`` uint8 background of the given style around ``base_color``."""
    if style not in BACKGROUND_STYLES:
        raise ValueError(f'background style must be one of {BACKGROUND_STYLES}, got {style!r}')
    base = np.asarray(base_color if base_color is not None else rng.uniform(40, 120, 3), float)
    yy, xx = np.mgrid[0:height, 0:width].astype(float)
    if style == 'plain':
        pattern = np.zeros((height, width))
    elif style == 'noise':
        pattern = _smooth_noise(height, width, rng, cell=max(2, min(height, width) // 8)) - 0.5
    elif style == 'stripes':
        angle, period = rng.uniform(0, np.pi), rng.uniform(6, 16)
        pattern = 0.5 * np.sign(np.sin((xx * np.cos(angle) + yy * np.sin(angle)) / period * np.pi))
    elif style == 'checker':
        cell = int(rng.integers(6, 14))
        pattern = ((yy // cell + xx // cell) % 2) - 0.5
    else:
        angle = rng.uniform(0, 2 * np.pi)
        ramp = xx * np.cos(angle) + yy * np.sin(angle)
        pattern = (ramp - ramp.min()) / max(1e-6, np.ptp(ramp)) - 0.5
    tint = rng.uniform(0.5, 1.0, 3)
    image = base[None, None] + contrast * 255 * pattern[..., None] * tint[None, None]
    return np.clip(image, 0, 255).astype(np.uint8)


def random_background(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """:func:`make_background` of a style drawn uniformly from ``BACKGROUND_STYLES`` (one
    ``rng.integers`` draw before the background's own), as the box and instance sets draw it."""
    style = BACKGROUND_STYLES[int(rng.integers(len(BACKGROUND_STYLES)))]
    return make_background(height, width, rng, style=style)

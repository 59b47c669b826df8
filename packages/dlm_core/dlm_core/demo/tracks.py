"""Where a digit is, how big, how turned and how visible, frame by frame."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The motion templates of the demo benchmark (SSv2-like: the class is the motion).
MOTIONS = (
    'left',
    'right',
    'up',
    'down',
    'grow',
    'shrink',
    'turn_cw',
    'turn_ccw',
    'appear',
    'vanish',
    'static',
)


@dataclass
class DigitTrack:
    """One digit over ``T`` frames.

    ``centers`` ``(T, 2)`` are ``x, y`` pixels; ``sizes`` ``(T,)`` the side of the glyph in
    pixels; ``angles`` ``(T,)`` degrees, counter-clockwise on screen; ``alphas`` ``(T,)``
    opacity in [0, 1] (0: absent). ``color`` is the ink colour (RGB).
    """

    digit: int
    glyph: np.ndarray
    centers: np.ndarray
    sizes: np.ndarray
    angles: np.ndarray
    alphas: np.ndarray
    color: np.ndarray
    instance_id: int = 0

    def __post_init__(self):
        length = len(self.centers)
        for name in ('sizes', 'angles', 'alphas'):
            if len(getattr(self, name)) != length:
                raise ValueError(
                    f'DigitTrack.{name} has {len(getattr(self, name))} frames, centers has {length}'
                )

    @property
    def num_frames(self) -> int:
        return len(self.centers)


def bright_color(rng: np.random.Generator) -> np.ndarray:
    """A saturated ink colour that stands out from the (darker) backgrounds."""
    color = rng.uniform(150, 255, 3)
    color[rng.integers(3)] = rng.uniform(0, 90)
    return color.astype(np.uint8)


def motion_track(
    glyph: np.ndarray,
    digit: int,
    motion: str,
    num_frames: int,
    height: int,
    width: int,
    rng: np.random.Generator,
    size: float | None = None,
    color=None,
    instance_id: int = 0,
    center=None,
) -> DigitTrack:
    """A track doing one motion template over ``num_frames`` frames."""
    if motion not in MOTIONS:
        raise ValueError(f'motion must be one of {MOTIONS}, got {motion!r}')
    t = np.linspace(0.0, 1.0, num_frames)
    short = min(height, width)
    size = float(size if size is not None else rng.uniform(0.3, 0.42) * short)
    cx, cy = (
        center
        if center is not None
        else (rng.uniform(0.4, 0.6) * width, rng.uniform(0.4, 0.6) * height)
    )
    centers = np.tile([cx, cy], (num_frames, 1)).astype(float)
    sizes = np.full(num_frames, size)
    angles = np.zeros(num_frames) + rng.uniform(-8, 8)
    alphas = np.ones(num_frames)
    travel = rng.uniform(0.35, 0.5)
    if motion in ('left', 'right'):
        sign = -1 if motion == 'left' else 1
        centers[:, 0] = width * (0.5 + sign * travel * (t - 0.5))
    elif motion in ('up', 'down'):
        sign = -1 if motion == 'up' else 1
        centers[:, 1] = height * (0.5 + sign * travel * (t - 0.5))
    elif motion in ('grow', 'shrink'):
        small, large = 0.18 * short, 0.55 * short
        sizes = small + (large - small) * (t if motion == 'grow' else 1 - t)
    elif motion in ('turn_cw', 'turn_ccw'):
        sign = -1 if motion == 'turn_cw' else 1
        angles = angles + sign * 120 * t
    elif motion in ('appear', 'vanish'):
        ramp = np.clip((t - 0.3) / 0.4, 0, 1)
        alphas = ramp if motion == 'appear' else 1 - ramp
    return DigitTrack(
        int(digit),
        glyph,
        centers,
        sizes,
        angles,
        alphas,
        np.asarray(color if color is not None else bright_color(rng), np.uint8),
        instance_id,
    )

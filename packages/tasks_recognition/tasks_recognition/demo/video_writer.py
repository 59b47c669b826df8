"""Writing frames as a real H.264 mp4 file with PyAV (what decord and PyAV read back).

The same frames always give the same bytes: one encoder thread, and x264's macroblock-tree
rate control off (with it on, measured here, 1 clip in ~30 came out different from run to
run); the RGB -> YUV 4:2:0 conversion is done in numpy, so no scaler sits in between.
"""

from __future__ import annotations

import os

import av
import numpy as np


def write_mp4(path: str, frames: np.ndarray, fps: float, crf: int = 20) -> None:
    """Encode ``frames (T, H, W, 3)`` uint8 RGB to ``path`` (H.264, yuv420p, BT.601)."""
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f'frames must be (T, H, W, 3) uint8, got {frames.shape} {frames.dtype}')
    height, width = frames.shape[1:3]
    if height % 2 or width % 2:
        raise ValueError(f'H.264 with yuv420p needs even sides, got {width}x{height}')
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    with av.open(path, mode='w', format='mp4') as container:
        stream = container.add_stream('libx264', rate=int(round(fps)))
        stream.width, stream.height, stream.pix_fmt = width, height, 'yuv420p'
        stream.codec_context.thread_count = 1
        stream.options = {'crf': str(crf), 'threads': '1', 'x264-params': 'no-mbtree=1'}
        for image in frames:
            frame = av.VideoFrame.from_ndarray(rgb_to_yuv420p(image), format='yuv420p')
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def rgb_to_yuv420p(image: np.ndarray) -> np.ndarray:
    """``(H, W, 3)`` RGB -> the ``(3H/2, W)`` planar Y, U, V layout of yuv420p: BT.601
    limited range (what decoders assume for an untagged stream), chroma averaged 2x2."""
    rgb = image.astype(np.float64)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
    u = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255
    v = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255
    height, width = y.shape

    def pooled(c):
        return c.reshape(height // 2, 2, width // 2, 2).mean(axis=(1, 3)).reshape(-1, width)

    planes = np.concatenate([y, pooled(u), pooled(v)], axis=0)
    return np.clip(np.rint(planes), 0, 255).astype(np.uint8)

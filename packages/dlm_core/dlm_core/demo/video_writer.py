"""Frames of a demo video as an mp4 file (what PyAV, decord and mmaction2 read back).

The same frames always give the same bytes, from run to run and process to process:

* the RGB -> YUV 4:2:0 conversion is done here in numpy, so no (multi-threaded) FFmpeg
  scaler sits between the frames and the encoder;
* the encoder runs on one thread;
* with H.264, x264's macroblock-tree rate control is off (with it on, 1 clip in ~30 came
  out different from run to run).

PyAV (``av``) is imported when a video is written: the rest of the core does not need it.
"""

from __future__ import annotations

import os
from typing import Literal

import numpy as np

#: ``'libx264'``: H.264, ``quality`` its constant rate factor (lower is better);
#: ``'mpeg4'``: FFmpeg's MPEG-4 Part 2, ``quality`` its largest quantizer (3 keeps the
#: frames within a few grey levels of the rendered ones)
Codec = Literal['libx264', 'mpeg4']


def write_mp4(
    path: str, frames: np.ndarray, fps: float, codec: Codec = 'libx264', quality: int = 20
) -> None:
    """Encode ``frames (T, H, W, 3)`` uint8 RGB to ``path`` (yuv420p, BT.601)."""
    import av

    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f'frames must be (T, H, W, 3) uint8, got {frames.shape} {frames.dtype}')
    height, width = frames.shape[1:3]
    if height % 2 or width % 2:
        raise ValueError(f'yuv420p needs even frame sides, got {width}x{height}')
    if codec not in ('libx264', 'mpeg4'):
        raise ValueError(f"codec must be 'libx264' or 'mpeg4', got {codec!r}")
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    with av.open(path, mode='w', format='mp4') as container:
        stream = container.add_stream(codec, rate=int(round(fps)))
        stream.width, stream.height, stream.pix_fmt = width, height, 'yuv420p'
        stream.codec_context.thread_count = 1
        if codec == 'libx264':
            stream.options = {'crf': str(quality), 'threads': '1', 'x264-params': 'no-mbtree=1'}
        else:
            stream.codec_context.bit_rate = 2_000_000  # never the limit: the quantizer is
            stream.codec_context.qmax = int(quality)
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
        return c.reshape(height // 2, 2, width // 2, 2).mean(axis=(1, 3)).ravel()

    # the planes one after the other, wrapped at the frame width: a quarter plane fills
    # whole rows only when 4 divides the height, so they are joined flat
    planes = np.concatenate([y.ravel(), pooled(u), pooled(v)]).reshape(-1, width)
    return np.clip(np.rint(planes), 0, 255).astype(np.uint8)

"""Frames of a demo video as an mp4 file (what PyAV, decord and mmaction2 read back)."""

from __future__ import annotations

import os

import av
import numpy as np

#: RGB to BT.601 studio-swing YCbCr (what decoders assume for an unlabelled SD stream).
_RGB_TO_YCBCR = (
    np.array([[65.481, 128.553, 24.966], [-37.797, -74.203, 112.0], [112.0, -93.786, -18.214]])
    / 255.0
)


def rgb_to_yuv420p(image: np.ndarray) -> np.ndarray:
    """``(H, W, 3)`` uint8 RGB to PyAV's ``yuv420p`` array ``(H * 3 // 2, W)``: the Y plane,
    then the 2x2-averaged U and V planes, row after row."""
    height, width = image.shape[:2]
    ycc = image.astype(np.float64) @ _RGB_TO_YCBCR.T + (16.0, 128.0, 128.0)
    luma = np.clip(np.rint(ycc[..., 0]), 0, 255).astype(np.uint8)
    chroma = ycc[..., 1:].reshape(height // 2, 2, width // 2, 2, 2).mean(axis=(1, 3))
    chroma = np.clip(np.rint(chroma), 0, 255).astype(np.uint8)
    planes = [luma.reshape(-1), chroma[..., 0].reshape(-1), chroma[..., 1].reshape(-1)]
    return np.concatenate(planes).reshape(height * 3 // 2, width)


def write_video(path: str, frames: np.ndarray, fps: int, max_quantizer: int = 3) -> None:
    """Encode ``frames (T, H, W, 3)`` uint8 RGB as MPEG-4 Part 2 (yuv420p) in an mp4.

    Deterministic down to the bytes: the colour conversion is done here in numpy (not by
    FFmpeg's multi-threaded scaler) and FFmpeg's own MPEG-4 encoder runs on one thread.
    (The libx264 bundled with PyAV was measured to give different bytes for the same
    frames now and then when torch had run in the same process, so it is not used.)
    ``max_quantizer`` 3 keeps the frames within a few grey levels of the rendered ones.
    """
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f'frames must be (T, H, W, 3) uint8, got {frames.shape} {frames.dtype}')
    height, width = frames.shape[1:3]
    if height % 2 or width % 2:
        raise ValueError(f'yuv420p needs even frame sides, got {width}x{height}')
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    with av.open(path, mode='w', format='mp4') as container:
        stream = container.add_stream('mpeg4', rate=int(fps))
        stream.width, stream.height, stream.pix_fmt = width, height, 'yuv420p'
        context = stream.codec_context
        context.thread_count = 1
        context.bit_rate = 2_000_000  # never the limit at these sizes: the quantizer is
        context.qmax = int(max_quantizer)
        for image in frames:
            frame = av.VideoFrame.from_ndarray(rgb_to_yuv420p(image), format='yuv420p')
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))

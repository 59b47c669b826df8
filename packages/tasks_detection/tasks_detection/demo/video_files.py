"""Frames to files: an H.264 mp4 (PyAV) and numbered JPEG frame folders (OpenCV)."""

from __future__ import annotations

import os

import numpy as np


def write_mp4(path: str, frames: np.ndarray, fps: float, crf: int = 23) -> None:
    """Encode ``frames (T, H, W, 3)`` uint8 RGB as H.264 / yuv420p. One encoder thread and
    fixed options keep the file the same from run to run."""
    import av

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
        stream.options = {'crf': str(crf), 'preset': 'medium', 'threads': '1'}
        for image in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format='rgb24')))
        container.mux(stream.encode(None))


def write_frame_folder(
    folder: str, frames: np.ndarray, template: str = 'img_{:05d}.jpg', quality: int = 90
) -> None:
    """``frames (T, H, W, 3)`` uint8 RGB as ``folder/img_00001.jpg ...`` (1-based, as
    mmaction2's rawframe datasets number them)."""
    import cv2

    os.makedirs(folder, exist_ok=True)
    for index, image in enumerate(frames, start=1):
        path = os.path.join(folder, template.format(index))
        ok = cv2.imwrite(path, image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise OSError(f'cannot write frame {path}')

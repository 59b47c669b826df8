"""Frames to numbered JPEG frame folders (OpenCV), as rawframe datasets store them.

(Videos are written by :func:`dlm_core.demo.video_writer.write_mp4`.)
"""

from __future__ import annotations

import os

import numpy as np


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

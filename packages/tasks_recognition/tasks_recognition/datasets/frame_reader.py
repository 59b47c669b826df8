"""Reading given frames of a video, exactly those, or an error naming the file.

:func:`read_frames` is the reader of this package's decode transform and of the tools
that need frames of a video (feature extraction, visualisation):

    from tasks_recognition.datasets import probe_video, read_frames
    info = probe_video(path)                 # checks the file, picks the decoder
    frames = read_frames(path, [0, 10, 20], decoder=info.decoder)  # list of (H, W, 3)

``decoder='pyav'`` (the default, and always right) decodes in order up to the last
index asked for; ``'decord'`` seeks, and is only right for files whose seek
:func:`~tasks_recognition.datasets.video_probe.probe_video` checked.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np

from .video_probe import DECODERS, VideoProbeError, read_video_bytes


class VideoDecodeError(VideoProbeError):
    """Frames that cannot be read from a video; the message names the file."""


def read_frames(
    path: str,
    indices: Sequence[int] | np.ndarray,
    decoder: str = 'pyav',
    backend_args: dict | None = None,
) -> list[np.ndarray]:
    """The frames of ``path`` at ``indices`` (0-based, any order, repeats allowed), as
    ``(H, W, 3)`` uint8 RGB arrays in the order asked for.

    Raises :class:`VideoDecodeError` naming the file when an index is past the frames
    that decode, or the decoder fails.
    """
    if decoder not in DECODERS:
        raise ValueError(f'decoder must be one of {DECODERS}, got {decoder!r}')
    indices = [int(i) for i in np.asarray(indices).reshape(-1)]
    if not indices:
        raise ValueError(f'{path}: no frame index given')
    if min(indices) < 0:
        raise VideoDecodeError(f'video {path}: frame index {min(indices)} is negative')
    try:
        data = read_video_bytes(path, backend_args)
    except OSError as err:
        raise VideoDecodeError(f'video {path} cannot be read: {err}') from err
    if decoder == 'pyav':
        return _read_in_order(path, data, indices)
    return _read_with_decord(path, data, indices)


def _read_in_order(path: str, data: bytes, indices: list[int]) -> list[np.ndarray]:
    import av

    wanted, last = set(indices), max(indices)
    frames: dict[int, np.ndarray] = {}
    count = 0
    try:
        with av.open(io.BytesIO(data), metadata_errors='ignore') as container:
            if not container.streams.video:
                raise VideoDecodeError(f'video {path} has no video stream')
            stream = container.streams.video[0]
            for frame in container.decode(stream):
                if count in wanted:
                    frames[count] = frame.to_ndarray(format='rgb24')
                count += 1
                if count > last:
                    break
    except VideoDecodeError:
        raise
    except Exception as err:  # av.error.*
        raise VideoDecodeError(
            f'video {path}: PyAV fails at frame {count} ({type(err).__name__}: {err})'
        ) from err
    if count <= last:
        raise VideoDecodeError(
            f'video {path}: frame {last} asked for, but only {count} frames decode'
        )
    return [frames[i] for i in indices]


def _read_with_decord(path: str, data: bytes, indices: list[int]) -> list[np.ndarray]:
    import decord

    try:
        reader = decord.VideoReader(io.BytesIO(data), num_threads=1)
        if max(indices) >= len(reader):
            raise VideoDecodeError(
                f'video {path}: frame {max(indices)} asked for, but decord counts '
                f'{len(reader)} frames'
            )
        batch = reader.get_batch(indices).asnumpy()
    except VideoDecodeError:
        raise
    except Exception as err:  # decord.DECORDError
        raise VideoDecodeError(f'video {path}: decord fails ({type(err).__name__}: {err})') from err
    return list(batch)

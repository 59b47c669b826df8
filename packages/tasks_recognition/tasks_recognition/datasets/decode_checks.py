"""The decoding checks of one video file, and a child process that runs them.

decord can kill the process that opens a damaged file (measured: an Xvid AVI missing its
last 1 %, whose 200 frames all decode with PyAV, is a segmentation fault in
``decord.VideoReader``), so :mod:`.video_probe` runs these checks in a child process
(``python decode_checks.py``, which imports numpy, PyAV and decord only) and reports a
crash of the child as the file's problem. Protocol: per file one JSON line
``{"backend": ...,"size": n}`` and ``n`` bytes on stdin; one JSON line back, either
``{"info": {...}}`` or ``{"problem": "..."}``.
"""

from __future__ import annotations

import io
import json
import sys

import numpy as np

#: mean |difference| in grey levels up to which two decoders' copies of a frame are the
#: same frame (both wrap FFmpeg's decoders; their RGB conversions differ by ~1 level)
SAME_FRAME_TOLERANCE = 3.0
#: frames of the middle clip whose seek is checked (a clip as the samplers ask for one)
CHECKED_CLIP_LEN = 4


class CheckFailed(Exception):
    """The file cannot be read right; the message says why."""


def checked_indices(expected: int) -> list[int]:
    """Frames at which decord's seek is compared with PyAV: the first frame and a clip
    in the middle (the last frame is always checked too)."""
    middle = max(1, expected // 2)
    return [0, *range(middle, middle + CHECKED_CLIP_LEN)]


def check_video_bytes(data: bytes, backend: str) -> dict:
    """``num_frames``, ``avg_fps``, ``decoder``, ``reported_frames``, ``decord_problem``
    of a video file's bytes (see ``video_probe.probe_video``); raises :class:`CheckFailed`."""
    count, fps, reported, kept = decode_with_pyav(data)
    problem = decord_problem(data, count, kept) if backend != 'pyav' else ''
    if problem and backend == 'decord':
        raise CheckFailed(
            f'{problem}; decode it with FrameAccurateInit/FrameAccurateDecode, which read '
            'such files with PyAV'
        )
    decoder = 'decord' if backend != 'pyav' and not problem else 'pyav'
    return dict(
        num_frames=count,
        avg_fps=fps,
        decoder=decoder,
        reported_frames=reported,
        decord_problem=problem,
    )


def decode_with_pyav(data: bytes, strict: bool = True):
    """``(frames that decode, fps, reported count, {index: RGB frame})`` of the first
    video stream; the frames kept are those of :func:`checked_indices` and the last."""
    import av

    try:
        with av.open(io.BytesIO(data), metadata_errors='ignore') as container:
            if not container.streams.video:
                raise CheckFailed('PyAV: the file has no video stream')
            stream = container.streams.video[0]
            reported = int(stream.frames or 0)
            rate = stream.average_rate or stream.guessed_rate
            fps = float(rate) if rate else 0.0
            expected = reported or _frames_from_duration(stream, container, fps)
            wanted = set(checked_indices(expected)) if expected else {0}
            kept, count, last, failure = {}, 0, None, None
            try:
                for frame in container.decode(stream):
                    if count in wanted:
                        kept[count] = frame.to_ndarray(format='rgb24')
                    last, count = frame, count + 1
            except Exception as err:  # av.error.*: a damaged or cut-off packet
                failure = f'{type(err).__name__}: {err}'.strip()
            if last is not None:
                kept[count - 1] = last.to_ndarray(format='rgb24')
    except CheckFailed:
        raise
    except Exception as err:  # the container cannot be opened (av.error.*)
        raise CheckFailed(f'PyAV cannot open it: {type(err).__name__}: {err}') from err
    if count == 0:
        raise CheckFailed(f'PyAV decodes no frame of it ({failure or "empty stream"})')
    if strict and (failure or (reported and count < reported)):
        of = f' of the {reported} its container reports' if reported else ''
        why = f': {failure}' if failure else ''
        raise CheckFailed(
            f'decoding stops after {count} frames{of} (a truncated or damaged file){why}'
        )
    return count, fps, reported, kept


def _frames_from_duration(stream, container, fps: float) -> int:
    """The frame count the duration implies, for containers without one (WebM)."""
    if stream.duration and stream.time_base:
        seconds = float(stream.duration * stream.time_base)
    elif container.duration:
        seconds = container.duration / 1e6  # AV_TIME_BASE
    else:
        return 0
    return int(seconds * fps)


def decord_problem(data: bytes, count: int, kept: dict[int, np.ndarray]) -> str:
    """Why decord does not read this file right (``''`` when it does)."""
    import decord

    try:
        reader = decord.VideoReader(io.BytesIO(data), num_threads=1)
        if len(reader) != count:
            return f'decord counts {len(reader)} frames, but {count} decode'
        indices = sorted(kept)
        # a fresh reader asked for one batch, as the pipeline asks: its seeks are checked
        frames = reader.get_batch(indices).asnumpy()
    except Exception as err:  # decord.DECORDError and what it wraps
        return f'decord: {type(err).__name__}: {err}'.strip()
    for index, image in zip(indices, frames):
        reference = kept[index]
        if image.shape != reference.shape:
            return f'decord decodes frame {index} as {image.shape}, PyAV as {reference.shape}'
        difference = float(np.abs(image.astype(np.int16) - reference).mean())
        if difference > SAME_FRAME_TOLERANCE:
            return (
                f"decord's seek to frame {index} returns another frame (it differs from "
                f'the frame decoded in order by {difference:.1f} grey levels on average)'
            )
    return ''


def serve() -> None:
    """The child's loop: check each file sent on stdin until stdin closes."""
    source, sink = sys.stdin.buffer, sys.stdout
    while True:
        header = source.readline()
        if not header:
            return
        request = json.loads(header)
        data = source.read(request['size'])
        try:
            reply = dict(info=check_video_bytes(data, request['backend']))
        except CheckFailed as err:
            reply = dict(problem=str(err))
        except Exception as err:  # anything else a decoder raises on a bad file
            reply = dict(problem=f'{type(err).__name__}: {err}')
        sink.write(json.dumps(reply) + '\n')
        sink.flush()


if __name__ == '__main__':
    serve()

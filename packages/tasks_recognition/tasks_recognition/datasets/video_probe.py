"""Opening a video once, before training, to know that the pipeline will decode it."""

from __future__ import annotations

PROBE_BACKENDS = ('decord', 'pyav')


class VideoProbeError(RuntimeError):
    """A video that cannot be opened or has no decodable frame."""


def probe_video(path: str, backend: str = 'decord') -> int:
    """Decode the first frame of ``path`` and return its frame count.

    Raises :class:`VideoProbeError` with the decoder's reason when the file is not a
    readable video (truncated, wrong container, no video stream, zero frames).
    """
    if backend not in PROBE_BACKENDS:
        raise ValueError(f'probe backend must be one of {PROBE_BACKENDS}, got {backend!r}')
    try:
        if backend == 'decord':
            return _probe_decord(path)
        return _probe_pyav(path)
    except VideoProbeError:
        raise
    except Exception as err:  # decoders raise their own error types
        raise VideoProbeError(f'{type(err).__name__}: {err}'.strip()) from err


def _probe_decord(path: str) -> int:
    import decord

    reader = decord.VideoReader(path, num_threads=1)
    count = len(reader)
    if count == 0:
        raise VideoProbeError('the video stream has no frames')
    reader.get_batch([0]).asnumpy()  # the call mmaction2's DecordDecode makes
    return count


def _probe_pyav(path: str) -> int:
    import av

    with av.open(path) as container:
        if not container.streams.video:
            raise VideoProbeError('the file has no video stream')
        stream = container.streams.video[0]
        for _ in container.decode(stream):
            break
        else:
            raise VideoProbeError('the video stream has no frames')
        return int(stream.frames) or sum(1 for _ in container.decode(stream)) + 1

"""Opening a video before a run, the way the pipeline will, to know that it decodes right.

Two decoders read the videos. PyAV decodes in order and raises a Python error on a broken
stream. decord seeks fast, but on some files its seek lands on other frames than the
index asked for (seen on an Xvid AVI: frames 29-43 for 127-141), and on a damaged file it
can kill the process with a segmentation fault instead of raising. So
:func:`probe_video` decodes every frame with PyAV, from the bytes the pipeline will read
(``mmengine.fileio.get``, as mmaction2's ``DecordInit`` reads them), and checks the frames
that decode against the count the container reports; then decord opens the file, and
its frame count and seek (a clip in the middle, the first and the last frame) are
compared with PyAV's frames. Whenever decord is involved this runs in a child process
(:mod:`.decode_checks`), so a crash is the file's problem, not the run's end.
:class:`VideoInfo` says which decoder reads the file frame-accurately;
:func:`~tasks_recognition.datasets.frame_reader.read_frames` then reads frames with it.
"""

from __future__ import annotations

import atexit
import json
import os
import os.path as osp
import subprocess
import sys
import threading
from dataclasses import asdict, dataclass

from dlm_core.errors import DataError

from . import decode_checks
from .decode_checks import CheckFailed

#: ``'auto'``: PyAV's check, then decord where its seek is right (else PyAV);
#: ``'decord'``: the file must be read right by decord (mmaction2's ``DecordDecode``);
#: ``'pyav'``: PyAV's check only (mmaction2's ``PyAVDecode``, or this package's reader)
PROBE_BACKENDS = ('auto', 'decord', 'pyav')
DECODERS = ('decord', 'pyav')


class VideoProbeError(DataError, RuntimeError):
    """A video that cannot be read right: not opened, truncated, no frames, a decoder
    crash, or (for a decord pipeline) a seek that returns other frames."""


@dataclass(frozen=True)
class VideoInfo:
    """What the probe found out about one video."""

    #: frames that decode, counted by decoding them all
    num_frames: int
    #: frame rate from the container (0.0 when it gives none)
    avg_fps: float
    #: the decoder that reads this file frame-accurately: ``'decord'`` or ``'pyav'``
    decoder: str
    #: the frame count the container reports (0 when it reports none)
    reported_frames: int
    #: why decord is not used for this file (``''`` when it is, or was not tried)
    decord_problem: str = ''

    def as_dict(self) -> dict:
        return asdict(self)


def read_video_bytes(path: str, backend_args: dict | None = None) -> bytes:
    """The bytes of ``path`` as mmaction2's video loaders read them."""
    from mmengine import fileio

    return fileio.get(path, backend_args=backend_args)


def probe_video(path: str, backend: str = 'auto', backend_args: dict | None = None) -> VideoInfo:
    """Decode ``path`` end to end and find the decoder that reads it frame-accurately.

    Raises :class:`VideoProbeError` (the message says why, not which file: callers name
    it) when the file cannot be opened, has no decodable frame, decodes fewer frames
    than its container reports (a truncated or damaged file), or crashes a decoder. With
    ``backend='decord'`` a file that decord counts or seeks wrongly is an error too; with
    ``'auto'`` such a file is read with PyAV (``VideoInfo.decoder``).
    """
    if backend not in PROBE_BACKENDS:
        raise ValueError(f'probe backend must be one of {PROBE_BACKENDS}, got {backend!r}')
    try:
        data = read_video_bytes(path, backend_args)
    except OSError as err:
        raise VideoProbeError(f'cannot be read: {err.strerror or err}') from err
    if backend == 'pyav':  # PyAV raises; no child needed
        try:
            return VideoInfo(**decode_checks.check_video_bytes(data, backend))
        except CheckFailed as err:
            raise VideoProbeError(str(err)) from None
    return VideoInfo(**_CHILDREN.check(data, backend))


def count_frames(path: str, backend_args: dict | None = None) -> int:
    """The number of frames of ``path`` that really decode (PyAV, in order), whatever
    the container reports; raises :class:`VideoProbeError` when none does."""
    data = read_video_bytes(path, backend_args)
    try:
        return decode_checks.decode_with_pyav(data, strict=False)[0]
    except CheckFailed as err:
        raise VideoProbeError(str(err)) from None


class _CheckingChildren:
    """Child processes running :mod:`.decode_checks`, one per concurrent caller (the
    dataset probes with a thread pool); a child that dies is replaced."""

    script = osp.join(osp.dirname(osp.abspath(__file__)), 'decode_checks.py')

    def __init__(self):
        self.idle: list[subprocess.Popen] = []
        self.lock = threading.Lock()
        self.pid = os.getpid()
        atexit.register(self.close)

    def check(self, data: bytes, backend: str) -> dict:
        with self.lock:
            if os.getpid() != self.pid:  # a forked DataLoader worker: the children
                self.idle, self.pid = [], os.getpid()  # are its parent's
            child = self.idle.pop() if self.idle else self._start()
        try:
            child.stdin.write(json.dumps(dict(backend=backend, size=len(data))).encode())
            child.stdin.write(b'\n')
            child.stdin.write(data)
            child.stdin.flush()
            line = child.stdout.readline()
        except (BrokenPipeError, OSError):
            line = b''
        if not line:  # the child died on this file
            code = child.wait()
            signal = f'signal {-code}' if code < 0 else f'exit status {code}'
            raise VideoProbeError(f'decord crashes on it ({signal}): a damaged file')
        with self.lock:
            self.idle.append(child)
        reply = json.loads(line)
        if 'problem' in reply:
            raise VideoProbeError(reply['problem'])
        return reply['info']

    def _start(self) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, self.script],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # FFmpeg's warnings about damaged files
        )

    def close(self) -> None:
        if os.getpid() != self.pid:
            return
        with self.lock:
            children, self.idle = self.idle, []
        for child in children:
            try:
                child.stdin.close()
                child.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):  # busy or stuck: exit anyway
                child.kill()
                child.wait()


_CHILDREN = _CheckingChildren()

"""Reading raw videos for the tools, one frame at a time (PyAV), and writing pictures
(videos through the core's deterministic mp4 writer).

``tools/extract_features.py`` and ``tools/visualize.py`` read the user's own videos, which
may be long and large (a 795-frame 768x576 clip is 1 GB of uint8 pixels, 4 GB as floats):
frames are decoded sequentially and handed on in chunks, so memory stays bounded by the
chunk, not by the video. A file that cannot be decoded is a
:class:`~dlm_core.errors.DataError` naming it, so the tools print one ``error:`` line.
"""

from __future__ import annotations

import os
import os.path as osp
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import av
import numpy as np

from dlm_core.demo import video_writer
from dlm_core.errors import DataError, MissingFileError

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mkv', '.mov', '.webm', '.m4v', '.mpg', '.mpeg')
X264_DEFAULT_CRF = 23  # x264's own default quality, which the tools' mp4s keep


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a video (``num_frames`` may be an estimate: some
    containers do not store it, then it is ``duration * fps`` rounded)."""

    path: str
    num_frames: int
    fps: float
    height: int
    width: int

    @property
    def name(self) -> str:
        """The video id the datasets use: the file name without its extension."""
        return osp.splitext(osp.basename(self.path))[0]


def _decode_error(path: str, err: Exception, where: str = '') -> DataError:
    reason = f'{type(err).__name__}: {err}'.strip()
    return DataError(f'{path}: cannot decode the video{where} ({reason})')


def probe_video(path: str) -> VideoInfo:
    """Open ``path`` and decode its first frame; a file that is not a readable video (no
    file, wrong container, no video stream, no frame) is an error naming it."""
    if not osp.isfile(path):
        raise MissingFileError(f'{path}: no such video file')
    try:
        with av.open(path) as container:
            if not container.streams.video:
                raise DataError(f'{path}: the file has no video stream')
            stream = container.streams.video[0]
            first = next(container.decode(stream), None)
            if first is None:
                raise DataError(f'{path}: the video stream has no decodable frame')
            fps = float(stream.average_rate or stream.guessed_rate or 0) or 25.0
            count = int(stream.frames or 0)
            if count <= 0 and stream.duration is not None and stream.time_base is not None:
                count = round(float(stream.duration * stream.time_base) * fps)
            return VideoInfo(path, max(count, 1), fps, first.height, first.width)
    except DataError:
        raise
    except (av.error.FFmpegError, OSError, ValueError, IndexError) as err:
        raise _decode_error(path, err) from err


def iter_frames(path: str) -> Iterator[np.ndarray]:
    """Every frame of ``path`` in order as ``(H, W, 3)`` uint8 RGB; one frame in memory at
    a time. A decoding failure mid-stream is an error naming the file and frame index."""
    index = 0
    try:
        with av.open(path) as container:
            stream = container.streams.video[0]
            stream.thread_type = 'AUTO'
            for frame in container.decode(stream):
                yield frame.to_ndarray(format='rgb24')
                index += 1
    except (av.error.FFmpegError, OSError, ValueError) as err:
        raise _decode_error(path, err, f' at frame {index}') from err
    if index == 0:
        raise DataError(f'{path}: the video stream has no decodable frame')


def iter_chunks(frames: Iterator[np.ndarray], size: int) -> Iterator[np.ndarray]:
    """Consecutive ``(n <= size, H, W, 3)`` blocks of a frame stream."""
    block = []
    for frame in frames:
        block.append(frame)
        if len(block) == size:
            yield np.stack(block)
            block = []
    if block:
        yield np.stack(block)


def read_frames(path: str, indices: Sequence[int], max_side: int | None = None) -> np.ndarray:
    """Frames ``indices`` of ``path`` as ``(N, H, W, 3)`` uint8 RGB (indices past the last
    frame give the last one), decoded in one sequential pass that keeps only those frames;
    ``max_side`` shrinks each kept frame so its longer side is at most that."""
    wanted = {int(i) for i in indices}
    if not wanted or min(wanted) < 0:
        raise ValueError(f'frame indices must be non-negative, got {list(indices)[:5]}')
    stop = max(wanted)
    kept: dict[int, np.ndarray] = {}
    last = None
    for index, frame in enumerate(iter_frames(path)):
        if index in wanted:
            kept[index] = _shrink(frame, max_side)
        last = frame
        if index >= stop:
            break
    if len(kept) < len(wanted):  # the container over-counted its frames
        final = _shrink(last, max_side)
        for index in wanted:
            kept.setdefault(index, final)
    return np.stack([kept[int(i)] for i in indices])


def _shrink(frame: np.ndarray, max_side: int | None) -> np.ndarray:
    import cv2

    height, width = frame.shape[:2]
    if max_side is None or max(height, width) <= max_side:
        return frame
    scale = max_side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA)


def list_videos(video_or_list: str) -> list[str]:
    """A video file, a folder of videos, or a text file of video paths (one per line,
    relative to the list's folder; blank lines and ``#`` comments skipped)."""
    if osp.isdir(video_or_list):
        names = sorted(os.listdir(video_or_list))
        paths = [osp.join(video_or_list, n) for n in names if n.lower().endswith(VIDEO_EXTENSIONS)]
        if not paths:
            raise MissingFileError(f'{video_or_list}: the folder holds no video file')
        return paths
    if not osp.isfile(video_or_list):
        raise MissingFileError(f'{video_or_list}: no such video, folder or list file')
    if video_or_list.lower().endswith(('.txt', '.lst', '.list')):
        root = osp.dirname(video_or_list)
        with open(video_or_list) as handle:
            lines = [line.strip() for line in handle]
        paths = [osp.join(root, line) for line in lines if line and not line.startswith('#')]
        if not paths:
            raise DataError(f'{video_or_list}: the list names no video')
        return paths
    return [video_or_list]


def write_png(path: str, image: np.ndarray) -> None:
    """``(H, W, 3)`` uint8 RGB to a PNG, atomically (no half-written picture is left)."""
    import cv2

    ok, data = cv2.imencode('.png', np.ascontiguousarray(image[..., ::-1]))
    if not ok:
        raise RuntimeError(f'cannot encode {path} as PNG')
    _atomic_write(path, data.tobytes())


def write_mp4(path: str, frames: Sequence[np.ndarray], fps: float) -> None:
    """``(H, W, 3)`` uint8 RGB frames (odd sides padded to even) to an H.264 MP4, by the
    core's deterministic writer at x264's default quality, atomically."""
    height, width = frames[0].shape[:2]
    padded = np.zeros((len(frames), height + height % 2, width + width % 2, 3), np.uint8)
    for index, image in enumerate(frames):
        padded[index, : image.shape[0], : image.shape[1]] = image
    partial = f'{path}.partial.mp4'
    video_writer.write_mp4(partial, padded, fps, quality=X264_DEFAULT_CRF)
    os.replace(partial, path)


def _atomic_write(path: str, data: bytes) -> None:
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    partial = f'{path}.partial'
    with open(partial, 'wb') as handle:
        handle.write(data)
    os.replace(partial, path)


def contact_sheet(panels: Sequence[np.ndarray], columns: int, gap: int = 4) -> np.ndarray:
    """Panels (each ``(h, w, 3)`` uint8, any sizes) in a grid of ``columns``, white gaps."""
    columns = max(1, min(columns, len(panels)))
    rows = [panels[i : i + columns] for i in range(0, len(panels), columns)]
    cell_h = max(p.shape[0] for p in panels)
    cell_w = max(p.shape[1] for p in panels)
    sheet = np.full(
        (len(rows) * (cell_h + gap) + gap, columns * (cell_w + gap) + gap, 3), 255, np.uint8
    )
    for r, row in enumerate(rows):
        for c, panel in enumerate(row):
            top, left = gap + r * (cell_h + gap), gap + c * (cell_w + gap)
            sheet[top : top + panel.shape[0], left : left + panel.shape[1]] = panel
    return sheet


def stack_vertically(images: Sequence[np.ndarray], gap: int = 4) -> np.ndarray:
    """Images one under the other, left-aligned on white."""
    width = max(i.shape[1] for i in images)
    height = sum(i.shape[0] for i in images) + gap * (len(images) - 1)
    out = np.full((height, width, 3), 255, np.uint8)
    top = 0
    for image in images:
        out[top : top + image.shape[0], : image.shape[1]] = image
        top += image.shape[0] + gap
    return out

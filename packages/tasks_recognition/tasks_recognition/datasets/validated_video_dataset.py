"""mmaction2's ``VideoDataset`` that checks its list file before a run starts.

A bad line in a list of 200k videos otherwise surfaces hours into training as a decoder
error without the line that caused it. Here every line is parsed with its number, labels
are checked against the class range, and each video is decoded once (``check_videos``), so a
missing, truncated or undecodable file stops the run at build time, naming the list file, the
line and the video; ``on_invalid='skip'`` drops such lines with a warning instead. What the
probe found (the frames that decode, the decoder that reads the file frame-accurately) goes
into each data info as ``video_info``, for ``FrameAccurateInit``. Blank lines are skipped.
"""

from __future__ import annotations

import logging
import os.path as osp
from concurrent.futures import ThreadPoolExecutor

from mmaction.datasets import VideoDataset
from mmengine.fileio import list_from_file
from mmengine.logging import print_log
from mmengine.registry import DefaultScope

from dlm_core.errors import DataError, MissingFileError

from ..registry import DATASETS, SCOPE
from .video_probe import PROBE_BACKENDS, VideoInfo, VideoProbeError, probe_video

CHECK_MODES = ('decode', 'exists', 'none')
INVALID_MODES = ('error', 'skip')


class VideoListError(DataError):
    """A line of a video list that cannot be used; the message names file and line."""


@DATASETS.register_module()
class ValidatedVideoDataset(VideoDataset):
    """``VideoDataset`` on a list file ``relpath label`` (SSv2, UCF101, HMDB51 layouts).

    Args:
        num_classes: labels must lie in ``[0, num_classes)``; required for training.
        check_videos: ``'decode'`` decodes every video to its end (PyAV) and checks the
            frames that decode against the count its container reports, then checks
            decord's seek on it (see ``probe_video``); ``'exists'`` only checks that the
            file is there, ``'none'`` trusts the list.
        on_invalid: ``'error'`` (default) stops at the first missing or undecodable video;
            ``'skip'`` leaves such lines out and warns. Label errors always stop.
        probe_backend: ``'auto'``, ``'decord'`` or ``'pyav'``; default: what the
            pipeline decodes with (``'decord'`` for mmaction2's ``DecordDecode``, which
            must then read the file right; ``'auto'`` for ``FrameAccurateDecode``).
        probe_workers: threads that open videos (the decoders release the GIL), so a
            list of 200k videos is checked in minutes.
        Other arguments: those of mmaction2's ``VideoDataset``.
    """

    def __init__(
        self,
        ann_file: str,
        pipeline: list,
        num_classes: int | None = None,
        check_videos: str = 'decode',
        on_invalid: str = 'error',
        probe_backend: str | None = None,
        probe_workers: int = 1,
        **kwargs,
    ):
        if check_videos not in CHECK_MODES:
            raise ValueError(f'check_videos must be one of {CHECK_MODES}, got {check_videos!r}')
        if on_invalid not in INVALID_MODES:
            raise ValueError(f'on_invalid must be one of {INVALID_MODES}, got {on_invalid!r}')
        if num_classes is not None and int(num_classes) < 1:
            raise ValueError(f'num_classes must be a positive int, got {num_classes!r}')
        probe_backend = probe_backend or _pipeline_backend(pipeline)
        if probe_backend not in PROBE_BACKENDS:
            raise ValueError(
                f'probe_backend must be one of {PROBE_BACKENDS}, got {probe_backend!r}'
            )
        self.check_videos = check_videos
        self.on_invalid = on_invalid
        self.probe_backend = probe_backend
        self.probe_workers = max(1, int(probe_workers))
        self.skipped: list[tuple[int, str, str]] = []
        # the pipeline's transforms live in mmaction2's registry: build them in our scope
        with DefaultScope.overwrite_default_scope(SCOPE):
            super().__init__(ann_file, pipeline, num_classes=num_classes, **kwargs)

    # -- parsing ----------------------------------------------------------------------
    def load_data_list(self) -> list[dict]:
        if not osp.isfile(self.ann_file):
            raise MissingFileError(f'video list {self.ann_file} does not exist')
        entries = []  # (line number, filename, label): every line parsed before any probe
        for number, line in enumerate(list_from_file(self.ann_file, encoding='utf-8-sig'), start=1):
            if not line.strip():
                continue
            relpath, label = self._parse_line(line, number)
            filename = relpath
            if self.data_prefix.get('video') is not None:
                filename = osp.join(self.data_prefix['video'], relpath)
            entries.append((number, filename, label))
        filenames = [filename for _, filename, _ in entries]
        if self.probe_workers > 1 and self.check_videos == 'decode':
            with ThreadPoolExecutor(self.probe_workers) as pool:
                checks = list(pool.map(self._check_video, filenames))
        else:
            checks = [self._check_video(filename) for filename in filenames]
        data_list, self.skipped = [], []
        for (number, filename, label), (problem, info) in zip(entries, checks):
            if problem is not None:
                message = f'{self.ann_file}, line {number}: video {filename} {problem}'
                if self.on_invalid == 'error':
                    raise VideoListError(
                        f"{message}. Fix or remove the line, or set on_invalid='skip' in the "
                        'dataset config to leave such lines out'
                    )
                self.skipped.append((number, filename, problem))
                continue
            data_info = dict(filename=filename, label=label)
            if info is not None:
                data_info['video_info'] = info.as_dict()
            data_list.append(data_info)
        self._report_skipped()
        if not data_list:
            raise VideoListError(f'{self.ann_file}: no usable line (expected "relpath label")')
        return data_list

    def _parse_line(self, line: str, number: int):
        # the default delimiter ' ' also takes runs of spaces and tabs
        fields = line.split() if self.delimiter == ' ' else line.strip().split(self.delimiter)
        where = f'{self.ann_file}, line {number}'
        expected = 'relpath label1 label2 ...' if self.multi_class else 'relpath label'
        if len(fields) == 1:
            if not self.test_mode:
                raise VideoListError(
                    f'{where}: {line.strip()!r} has no label; expected "{expected}"'
                )
            return fields[0], -1
        if not self.multi_class and len(fields) != 2:
            raise VideoListError(
                f'{where}: {line.strip()!r} has {len(fields)} fields; expected "{expected}"'
            )
        labels = []
        for text in fields[1:]:
            try:
                labels.append(int(text))
            except ValueError:
                raise VideoListError(
                    f'{where}: label {text!r} is not an integer; expected "{expected}"'
                ) from None
        for label in labels:
            upper = self.num_classes
            if label < 0 or (upper is not None and label >= upper):
                range_text = f'[0, {upper})' if upper is not None else '>= 0'
                raise VideoListError(
                    f'{where}: label {label} is outside the class range {range_text} '
                    f'(num_classes={upper}); labels are 0-based'
                )
        return fields[0], labels if self.multi_class else labels[0]

    def _check_video(self, filename: str) -> tuple[str | None, VideoInfo | None]:
        """``(problem or None, what the probe found or None)`` of one video."""
        if self.check_videos == 'none':
            return None, None
        if not osp.isfile(filename):
            return 'does not exist', None
        if self.check_videos == 'exists':
            return None, None
        try:
            return None, probe_video(filename, self.probe_backend)
        except VideoProbeError as err:
            return f'cannot be decoded ({err})', None

    def _report_skipped(self) -> None:
        if not self.skipped:
            return
        shown = '; '.join(f'line {n}: {path} {why}' for n, path, why in self.skipped[:5])
        more = f' and {len(self.skipped) - 5} more' if len(self.skipped) > 5 else ''
        print_log(
            f'{self.ann_file}: skipped {len(self.skipped)} unusable line(s): {shown}{more}',
            logger='current',
            level=logging.WARNING,
        )


def _pipeline_backend(pipeline) -> str:
    """``'pyav'`` or ``'decord'`` when the pipeline decodes with mmaction2's PyAV or
    decord transforms, else ``'auto'``."""
    for transform in pipeline or ():
        name = (
            transform.get('type', '') if isinstance(transform, dict) else type(transform).__name__
        )
        name = name if isinstance(name, str) else getattr(name, '__name__', '')
        name = name.rsplit('.', 1)[-1]  # 'mmaction.DecordInit'
        if name.startswith('PyAV'):
            return 'pyav'
        if name.startswith('Decord'):
            return 'decord'
    return 'auto'

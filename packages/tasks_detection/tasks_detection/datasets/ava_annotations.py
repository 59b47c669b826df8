"""Checking AVA annotation files row by row before mmaction2 parses them.

mmaction2's ``AVADataset`` trusts its CSV: a box outside [0, 1], an action id missing from
the label map or a timestamp outside the video becomes a wrong training target or a crash
far from its cause. Here every such row is an error naming the file, the line and the
expected form. Blank lines (a file ending in an empty line, as editors and spreadsheet
exports write it) are no rows anywhere: mmaction2's readers would fail on them, so they
are handed only the non-blank lines (:func:`without_blank_lines`).
"""

from __future__ import annotations

import os
import os.path as osp
import pickle
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

from dlm_core.errors import DataError, MissingFileError

COLUMNS = 'video_id,timestamp,x1,y1,x2,y2,action_id,person_id'
EXCLUSION_COLUMNS = 'video_id,timestamp'


class AVAAnnotationError(DataError):
    """A malformed row of an AVA annotation file."""


def nonblank_lines(path: str) -> Iterator[tuple[int, str]]:
    """``(line number, stripped text)`` of every line of ``path`` that is not blank."""
    if not osp.isfile(path):
        raise MissingFileError(f'AVA annotation file not found: {path}')
    with open(path) as f:
        for number, line in enumerate(f, start=1):
            text = line.strip()
            if text:
                yield number, text


def has_blank_lines(path: str) -> bool:
    with open(path) as f:
        return any(not line.strip() for line in f)


@contextmanager
def without_blank_lines(path: str | None) -> Iterator[str | None]:
    """``path`` itself, or (when it has blank lines) a copy of it without them that lives
    as long as the ``with`` block: for mmaction2's readers, which take every line for a row."""
    if path is None or not has_blank_lines(path):
        yield path
        return
    folder = tempfile.mkdtemp(prefix='ava_nonblank_')
    try:
        copy = osp.join(folder, osp.basename(path))
        with open(copy, 'w') as f:
            f.writelines(text + '\n' for _, text in nonblank_lines(path))
        yield copy
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def read_exclusions(path: str) -> set[tuple[str, int]]:
    """The ``(video_id, timestamp)`` keyframes of an excluded-timestamps CSV."""
    excluded = set()
    for number, text in nonblank_lines(path):
        fields = text.split(',')
        if len(fields) != 2 or not fields[0] or not fields[1].strip().isdigit():
            raise AVAAnnotationError(
                f'{path}, line {number}: row "{text}" is not {EXCLUSION_COLUMNS} (the '
                'excluded-timestamps CSV has a video id and an integer second per line)'
            )
        excluded.add((fields[0], int(fields[1])))
    return excluded


def read_keyframes(ann_file: str, action_ids: set[int] | None = None) -> set[tuple[str, int]]:
    """The ``(video_id, timestamp)`` keyframes of an annotation CSV (already checked by
    :func:`check_ava_annotations`) with a row of one of ``action_ids`` (all when None):
    the keyframes the AVA evaluator scores."""
    keys = set()
    for _, text in nonblank_lines(ann_file):
        fields = text.split(',')
        if action_ids is None or int(fields[6]) in action_ids:
            keys.add((fields[0], int(fields[1])))
    return keys


def check_proposals(proposal_file: str) -> dict:
    """The proposals pickle, checked: ``{"<video_id>,<timestamp %04d>": array (N, 4 | 5)}``
    (boxes in [0, 1], the 5th column the person detector's score)."""
    form = '{"<video_id>,<timestamp:04d>": array of shape (N, 4) or (N, 5)}'
    if not osp.isfile(proposal_file):
        raise MissingFileError(f'AVA proposal file not found: {proposal_file}')
    try:
        with open(proposal_file, 'rb') as f:
            proposals = pickle.load(f)
    except Exception as err:  # anything a broken pickle raises: one clear error instead
        raise AVAAnnotationError(
            f'{proposal_file}: not a readable pickle ({err}); expected {form}'
        ) from err
    if not isinstance(proposals, dict):
        raise AVAAnnotationError(
            f'{proposal_file}: holds a {type(proposals).__name__}, expected {form}'
        )
    for key, boxes in proposals.items():
        parts = key.split(',') if isinstance(key, str) else ()
        shape = np.shape(boxes)
        if len(parts) != 2 or not parts[1].isdigit():
            raise AVAAnnotationError(
                f'{proposal_file}: key {key!r} is not "<video_id>,<timestamp>"; expected {form}'
            )
        if len(shape) != 2 or shape[1] not in (4, 5):
            raise AVAAnnotationError(
                f'{proposal_file}: proposals of {key!r} have shape {shape}; expected {form}'
            )
    return proposals


def read_label_ids(label_file: str) -> set[int]:
    """The action ids of a label map pbtxt (``item { name: ... id: N }`` or ``label_id: N``)."""
    from mmaction.evaluation import read_labelmap

    with open(label_file) as f:
        _, ids = read_labelmap(f)
    if not ids:
        raise AVAAnnotationError(
            f'{label_file}: no action found; expected blocks like '
            '\'item {\\n  name: "stand"\\n  id: 1\\n}\''
        )
    return ids


def count_frames(frame_dir: str) -> int | None:
    """Number of files in ``frame_dir`` (None when it does not exist)."""
    if not osp.isdir(frame_dir):
        return None
    with os.scandir(frame_dir) as entries:
        return sum(1 for e in entries if e.is_file())


def check_ava_annotations(
    ann_file: str,
    label_ids: set[int],
    time_span: Callable[[str], tuple[int, int]] | None = None,
    frame_root: str | None = None,
    fps: int = 30,
) -> int:
    """Raise :class:`AVAAnnotationError` at the first malformed row; return the row count.

    Args:
        label_ids: the valid action ids (from the label map).
        time_span: ``video_id -> (first, last)`` second a keyframe may have (None: any).
        frame_root: folder of ``<video_id>/`` frame folders; when given, a keyframe must
            lie within the frames that exist (``first + n_frames / fps``).
    """
    frames_of: dict[str, int | None] = {}
    rows = 0
    for number, text in nonblank_lines(ann_file):
        rows += 1

        def fail(message, number=number, text=text):
            raise AVAAnnotationError(
                f'{ann_file}, line {number}: {message} (row "{text}"; expected {COLUMNS} '
                'with the box in [0, 1])'
            )

        fields = text.split(',')
        if len(fields) != 8:
            fail(f'{len(fields)} columns instead of 8')
        video_id = fields[0]
        if not video_id:
            fail('empty video_id')
        try:
            timestamp = int(fields[1])
        except ValueError:
            fail(f'timestamp {fields[1]!r} is not an integer second')
        try:
            x1, y1, x2, y2 = (float(v) for v in fields[2:6])
        except ValueError:
            fail(f'box {fields[2:6]} is not 4 numbers')
        if not (0 <= x1 < x2 <= 1 and 0 <= y1 < y2 <= 1):
            fail(f'bad box ({x1}, {y1}, {x2}, {y2}): need 0 <= x1 < x2 <= 1, 0 <= y1 < y2 <= 1')
        try:
            action_id = int(fields[6])
        except ValueError:
            fail(f'action_id {fields[6]!r} is not an integer')
        if action_id not in label_ids:
            fail(f'unknown action_id {action_id}: the label map has {sorted(label_ids)}')
        try:
            int(fields[7])
        except ValueError:
            fail(f'person_id {fields[7]!r} is not an integer')
        if time_span is None:
            continue
        first, last = time_span(video_id)
        if frame_root is not None:
            if video_id not in frames_of:
                frames_of[video_id] = count_frames(osp.join(frame_root, video_id))
            count = frames_of[video_id]
            if count is None:
                fail(f'no frame folder {osp.join(frame_root, video_id)}')
            last = min(last, first + count // fps)
        if not first <= timestamp <= last:
            fail(f'timestamp {timestamp} is outside the video ({first}..{last} s)')
    return rows

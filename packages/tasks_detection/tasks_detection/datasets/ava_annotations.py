"""Checking AVA annotation CSVs row by row before mmaction2 parses them.

mmaction2's ``AVADataset`` trusts its CSV: a box outside [0, 1], an action id missing from
the label map or a timestamp outside the video becomes a wrong training target or a crash
far from its cause. Here every such row is an error naming the file, the line and the
expected form.
"""

from __future__ import annotations

import os
import os.path as osp
from collections.abc import Callable

from dlm_core.errors import DataError

COLUMNS = 'video_id,timestamp,x1,y1,x2,y2,action_id,person_id'


class AVAAnnotationError(DataError):
    """A malformed row of an AVA annotation file."""


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
    time_span: Callable[[str], tuple[int, int]],
    frame_root: str | None = None,
    fps: int = 30,
) -> int:
    """Raise :class:`AVAAnnotationError` at the first malformed row; return the row count.

    Args:
        label_ids: the valid action ids (from the label map).
        time_span: ``video_id -> (first, last)`` second a keyframe may have.
        frame_root: folder of ``<video_id>/`` frame folders; when given, a keyframe must
            lie within the frames that exist (``first + n_frames / fps``).
    """
    frames_of: dict[str, int | None] = {}
    rows = 0
    with open(ann_file) as f:
        for number, line in enumerate(f, start=1):
            text = line.strip()
            if not text:
                continue
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

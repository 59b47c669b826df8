"""The low-data training subset of each annotation format (``dlm_bench.splits`` writes it).

A subset keeps a seeded share of a training split's *samples*, in the unit its dataset
trains on, and every line or record that belongs to a kept sample, untouched:

* ``lines``: one sample a line (the SSv2 video list, the 50Salads bundle);
* ``ava_csv``: AVA's csv, one row per box and action; the sample is the keyframe
  ``(video, timestamp)``, all of whose rows are kept;
* ``thumos14_json``: the ``database`` of a THUMOS14-layout json; the sample is a video of
  the training subset (``Validation`` in ActionFormer's use); the videos of the other
  subsets stay in the file, so the labels it holds do not change;
* ``videos_json``: a json with a ``videos`` list (CocoVID for ImageNet VID, YouTube-VIS);
  the sample is a video, and every list whose items name a ``video_id`` (``images``,
  ``annotations``) keeps the items of the kept videos; ``categories`` stays whole.

Nothing here reads a validation or test split: each function gets the training split's
content and returns the subset's.
"""

from __future__ import annotations

import csv
import io
import random


def chosen(count: int, fraction: float, seed: int = 0) -> set:
    """A seeded ``fraction`` of ``range(count)`` (at least one index)."""
    if count <= 0:
        raise ValueError('the training split holds no sample to take a subset of')
    keep = max(1, round(count * fraction))
    return set(random.Random(seed).sample(range(count), keep))


def lines(train: list, fraction: float, seed: int = 0) -> list:
    """A seeded ``fraction`` of the training lines (at least one), in their order."""
    kept = chosen(len(train), fraction, seed)
    return [line for index, line in enumerate(train) if index in kept]


def ava_csv(text: str, fraction: float, seed: int = 0, source: str = '<csv>') -> str:
    """The rows of a seeded ``fraction`` of the keyframes of an AVA csv, in file order."""
    rows = [row for row in csv.reader(io.StringIO(text)) if row]
    for number, row in enumerate(rows, start=1):
        if len(row) < 2:
            raise ValueError(
                f'{source}: line {number}: expected an AVA row "video_id,timestamp,x1,y1,'
                f'x2,y2,action_id[,person_id]", got {",".join(row)!r}'
            )
    keyframes = sorted({(row[0], row[1]) for row in rows})
    kept = {keyframes[i] for i in chosen(len(keyframes), fraction, seed)}
    out = io.StringIO()
    csv.writer(out, lineterminator='\n').writerows(r for r in rows if (r[0], r[1]) in kept)
    return out.getvalue()


def thumos14_json(
    payload: dict, fraction: float, subset: str, seed: int = 0, source: str = '<json>'
) -> dict:
    """``payload`` with a seeded ``fraction`` of its ``subset`` videos (the others of
    that subset removed; videos of other subsets kept as they are)."""
    database = payload.get('database') if isinstance(payload, dict) else None
    if not isinstance(database, dict):
        raise ValueError(f'{source}: expected {{"database": {{video_id: {{...}}}}}}')
    training = sorted(
        vid for vid, video in database.items()
        if str(video.get('subset', '')).lower() == subset.lower()
    )  # fmt: skip
    if not training:
        raise ValueError(f'{source}: no video of subset "{subset}" (the training subset)')
    kept = {training[i] for i in chosen(len(training), fraction, seed)}
    dropped = set(training) - kept
    return dict(payload, database={k: v for k, v in database.items() if k not in dropped})


def videos_json(payload: dict, fraction: float, seed: int = 0, source: str = '<json>') -> dict:
    """``payload`` with a seeded ``fraction`` of its ``videos`` and, in every list whose
    items carry a ``video_id``, the items of those videos."""
    videos = payload.get('videos') if isinstance(payload, dict) else None
    if not isinstance(videos, list) or not all(isinstance(v, dict) and 'id' in v for v in videos):
        raise ValueError(f'{source}: expected "videos": [{{"id": ..., ...}}, ...]')
    ids = sorted(v['id'] for v in videos)
    kept = {ids[i] for i in chosen(len(ids), fraction, seed)}
    out = dict(payload, videos=[v for v in videos if v['id'] in kept])
    for key, value in payload.items():
        if key == 'videos' or not isinstance(value, list):
            continue
        if value and all(isinstance(item, dict) and 'video_id' in item for item in value):
            out[key] = [item for item in value if item['video_id'] in kept]
    return out

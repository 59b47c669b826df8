"""What the detection metrics share when the predictions do not cover their ground truth:
the list of what is extra or missing, and the dataset's annotation file when it is not the
evaluator's (the usual cause)."""

from __future__ import annotations

import os.path as osp
from collections.abc import Callable, Iterable


def coverage_problems(found: Iterable[tuple[str, set]], listed: Callable[[set], str]) -> list:
    """``'<text> <listed(keys)>'`` for each ``(text, keys)`` whose ``keys`` are not empty."""
    return [f'{text} {listed(keys)}' for text, keys in found if keys]


def other_dataset_ann_file(dataset_meta: dict | None, ann_file: str) -> str | None:
    """The dataset's annotation file (``dataset_meta['ann_file']``) when it is not
    ``ann_file``."""
    dataset_file = (dataset_meta or {}).get('ann_file')
    if dataset_file and osp.abspath(dataset_file) != osp.abspath(ann_file):
        return dataset_file
    return None

"""Validation splits carved from the training data, and the low-data training subset.

Every choice of the benchmark (checkpoint, learning rate) is made on a validation split;
the test split is read once per run, for the report. The demo configs validate on their
test split, so the benchmark carves a validation split out of each primary's training
annotation file and points ``train_dataloader`` and ``val_dataloader`` at the two parts;
``test_dataloader`` keeps the config's test file.

A carver is registered per annotation format. Today: ``lines`` (one sample a line: the
SSv2 video list, the 50Salads split bundle). A primary without a carver validates on the
config's own validation split, and its records say so (``validation: 'config'``).
"""

from __future__ import annotations

import os
import os.path as osp
import random
from dataclasses import dataclass

from .catalog import REPO, config_path, load_config

#: every VAL_EVERY-th training sample (sorted by its line) is validation
VAL_EVERY = 4
#: the share of the carved training part that the low-data regime trains on
LOW_DATA_FRACTION = 0.1
#: the annotation format of each primary's training split that a carver handles
FORMATS = {'ssv2': 'lines', '50salads': 'lines'}


@dataclass(frozen=True)
class SplitFiles:
    """Where one primary's carved files go (absolute paths)."""

    train: str
    val: str
    low_data: str


def training_annotations(task: str, root: str | None = None) -> str:
    """The training split's annotation file of ``task`` (absolute)."""
    dataset = load_config(config_path('full', task), root).train_dataloader.dataset
    return osp.join(root or REPO, dataset.get('data_root') or '', dataset.ann_file)


def split_files(out_dir: str, task: str, root: str | None = None) -> SplitFiles:
    extension = osp.splitext(training_annotations(task, root))[1]
    folder = osp.join(out_dir, 'splits', task)
    return SplitFiles(
        *(osp.join(folder, f'{name}{extension}') for name in ('train', 'val', 'train_low'))
    )


def has_carver(task: str) -> bool:
    return FORMATS.get(task) == 'lines'


def carve_lines(lines: list, every: int = VAL_EVERY) -> tuple:
    """``(training, validation)``: every ``every``-th of the sorted lines is validation."""
    ordered = sorted(dict.fromkeys(line for line in lines if line))
    val = ordered[every - 1 :: every]
    held_out = set(val)
    return [line for line in ordered if line not in held_out], val


def low_data_lines(train: list, fraction: float = LOW_DATA_FRACTION, seed: int = 0) -> list:
    """A seeded ``fraction`` of the training lines (at least one), in their order."""
    count = max(1, round(len(train) * fraction))
    chosen = set(random.Random(seed).sample(range(len(train)), count))
    return [line for index, line in enumerate(train) if index in chosen]


def write_splits(out_dir: str, task: str, root: str | None = None) -> SplitFiles:
    """Carve ``task``'s training annotation file into training, validation and low-data
    files under ``<out_dir>/splits/<task>``; the test split is never read."""
    if not has_carver(task):
        raise ValueError(f'{task}: no validation carver for its annotation format')
    source = training_annotations(task, root)
    with open(source) as handle:
        lines = [line.strip() for line in handle]
    train, val = carve_lines(lines)
    if not val:
        raise ValueError(
            f'{source}: {len(train)} training samples, too few to hold out every '
            f'{VAL_EVERY}th as validation'
        )
    files = split_files(out_dir, task, root)
    os.makedirs(osp.dirname(files.train), exist_ok=True)
    for path, chosen in ((files.train, train), (files.val, val)):
        _write(path, chosen)
    _write(files.low_data, low_data_lines(train))
    return files


def _write(path: str, lines: list) -> None:
    tmp = path + '.tmp'
    with open(tmp, 'w') as handle:
        handle.write(''.join(f'{line}\n' for line in lines))
    os.replace(tmp, path)


def split_options(out_dir: str, task: str, low_data: bool = False, root=None) -> dict:
    """``--cfg-options`` that train on the carved training part (or its low-data subset),
    validate on the carved validation part and test on the config's test file."""
    if not has_carver(task):
        if low_data:
            raise ValueError(f'{task}: no training subset writer for its annotation format')
        return {}
    files = split_files(out_dir, task, root)
    test = load_config(config_path('full', task), root).test_dataloader.dataset.ann_file
    return {
        'train_dataloader.dataset.ann_file': files.low_data if low_data else files.train,
        'val_dataloader.dataset.ann_file': files.val,
        'test_dataloader.dataset.ann_file': test,
    }


def validation_source(task: str) -> str:
    """``carved`` (from the training data) or ``config`` (the config's own val split)."""
    return 'carved' if has_carver(task) else 'config'

"""The run's evaluators are built and given their dataset before any work dir exists, so a
metric whose ground truth does not describe the dataset (AVA scored against another
annotation file gave mAP 0.0 with no warning) stops the tool with one ``error:`` line."""

from __future__ import annotations

import os.path as osp

import pytest

from tasks_detection.demo.ava import write_demo
from tests.helpers.paths import ROOT
from tests.helpers.tool_runs import fails
from tools import test as test_tool
from tools import train as train_tool

CONFIG = osp.join(ROOT, 'configs', 'tasks', 'ava_demo.py')


@pytest.fixture(scope='module')
def ava_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('ava_eval')
    write_demo('ava', str(root), seed=5, limit=1)
    return root


def first_keyframe_only(ava_root, tmp_path) -> str:
    """The val annotations cut to the rows of their first keyframe: a dataset of other
    keyframes than the evaluator's file describes."""
    with open(ava_root / 'annotations' / 'ava_val_v2.2.csv') as handle:
        rows = [line for line in handle.read().splitlines() if line.strip()]
    first = tuple(rows[0].split(',')[:2])
    kept = [row for row in rows if tuple(row.split(',')[:2]) == first]
    assert 0 < len(kept) < len(rows)
    path = tmp_path / 'ava_val_first_keyframe.csv'
    path.write_text(''.join(f'{row}\n' for row in kept))
    return str(path)


def fails_with_subset(capsys, ava_root, tmp_path, tool, key: str) -> tuple[str, str]:
    """Run ``tool`` on the demo AVA config with ``key`` (a dataset's ann_file) pointing at
    a file of other keyframes than its evaluator's; it must fail and write no work dir."""
    subset = first_keyframe_only(ava_root, tmp_path)
    work_dir = tmp_path / 'work'
    options = [f'data_root={ava_root}', f'{key}={subset}']
    message = fails(capsys, tool, [CONFIG, '--work-dir', str(work_dir), '--cfg-options', *options])
    assert not work_dir.exists()
    return message, subset


def test_testing_against_another_annotation_file_is_one_error_line(capsys, ava_root, tmp_path):
    message, subset = fails_with_subset(
        capsys, ava_root, tmp_path, test_tool, 'test_dataloader.dataset.ann_file'
    )
    assert message.startswith('error: test_evaluator: ')
    assert subset in message and 'ava_val_v2.2.csv' in message


def test_training_with_a_validation_set_of_other_keyframes_stops_first(capsys, ava_root, tmp_path):
    message, _ = fails_with_subset(
        capsys, ava_root, tmp_path, train_tool, 'val_dataloader.dataset.ann_file'
    )
    assert message.startswith('error: val_evaluator: ')

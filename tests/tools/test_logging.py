"""What a run logs: the text log with ETA and the trainable share, and TensorBoard events
when switched on (``--tensorboard`` or the config's visualizer)."""

from __future__ import annotations

import glob
import importlib
import os.path as osp

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from tests.helpers.toy_runs import toy_run_text

CONFIG = toy_run_text(
    batch_size=4, num_samples=16, max_epochs=2, lr=1e-3,
    rest="default_hooks = dict(logger=dict(interval=1))\n",
)  # fmt: skip


def load_train_tool():
    return importlib.import_module('tools.train')


def scalar_tags(work_dir) -> dict[str, list[float]]:
    """Scalars of the run's TensorBoard events file(s), by tag."""
    files = glob.glob(osp.join(work_dir, '*', 'vis_data', 'events.out.tfevents.*'))
    assert len(files) == 1, files
    events = EventAccumulator(osp.dirname(files[0]))
    events.Reload()
    return {tag: [e.value for e in events.Scalars(tag)] for tag in events.Tags()['scalars']}


@pytest.fixture(scope='module')
def train_tool():
    return load_train_tool()


# MMEngine keys its loggers by config name and start second: each test has its own name, so
# that two runs starting within one second do not share a log file
def test_tensorboard_flag_writes_an_events_file_with_the_loss(tmp_path, train_tool):
    config = tmp_path / 'toy_flag.py'
    config.write_text(CONFIG)
    train_tool.main([str(config), '--work-dir', str(tmp_path / 'work'), '--tensorboard'])
    scalars = scalar_tags(tmp_path / 'work')
    assert len(scalars['loss']) == 8  # 2 epochs of 4 iterations, logged every iteration
    assert 'lr' in scalars
    # the local backend is kept beside it
    assert glob.glob(str(tmp_path / 'work' / '*' / 'vis_data' / 'scalars.json'))


def test_tensorboard_from_the_config(tmp_path, train_tool):
    config = tmp_path / 'toy_config.py'
    config.write_text(
        CONFIG + "visualizer = dict(vis_backends=[dict(type='TensorboardVisBackend')])\n"
    )
    train_tool.main([str(config), '--work-dir', str(tmp_path / 'work')])
    assert len(scalar_tags(tmp_path / 'work')['loss']) == 8


def test_without_the_switch_no_events_file(tmp_path, train_tool):
    config = tmp_path / 'toy_plain.py'
    config.write_text(CONFIG)
    train_tool.main([str(config), '--work-dir', str(tmp_path / 'work')])
    assert not glob.glob(str(tmp_path / 'work' / '*' / 'vis_data' / 'events.out.tfevents.*'))
    (log,) = glob.glob(str(tmp_path / 'work' / '*' / '*.log'))
    with open(log) as handle:
        text = handle.read()
    # the trainable share at the start, then per-iteration lines with an ETA
    assert 'trainable 8,310 of 45,133 backbone parameters = 18.41 %' in text
    assert text.index('= 18.41 %') < text.index('Epoch(train)')
    assert 'eta:' in text

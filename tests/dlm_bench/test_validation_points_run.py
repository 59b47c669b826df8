"""The protocol's options for a schedule shorter than ten epochs, given to tools/train.py as
the benchmark gives them: ten validation points, logged at their iteration, read back as
the run's curve and best value, the best checkpoint kept."""

from __future__ import annotations

import glob
import importlib
import os.path as osp

from dlm_bench import protocol, records, runner
from dlm_bench.catalog import Metric
from mmengine.config import Config

from tests.helpers.toy_runs import toy_run_text

VALIDATION = """
val_dataloader = dict(
    batch_size=8, num_workers=0, collate_fn=dict(type='default_collate'),
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ToyTokenDataset', num_samples=16, seed=1))
val_evaluator = dict(type='ToyAccuracy')
val_cfg = dict()
default_hooks = dict(logger=dict(interval=1))
"""


def test_a_two_epoch_run_validates_ten_times_through_train_py(tmp_path):
    config = tmp_path / 'toy_points.py'
    config.write_text(
        toy_run_text(batch_size=4, num_samples=48, max_epochs=2, lr=1e-3, rest=VALIDATION)
    )
    cfg = Config.fromfile(str(config))
    options = protocol.validation_options(cfg, 'accuracy', validates=True)
    assert protocol.validation_points(cfg) == 10
    work_dir = str(tmp_path / 'work')
    train = importlib.import_module('tools.train')
    train.main([str(config), '--work-dir', work_dir, '--cfg-options', *runner.options(options)])

    entries = records.read_scalars(work_dir)
    metric = Metric('accuracy', 1.0, 'accuracy')
    by_iter = records.validates_by_iteration(options)
    curve = records.curves(entries, metric, by_iter)['val']
    # 2 epochs of 12 iterations: after iterations round(24 k / 10), k = 1..10
    assert [step for step, _ in curve] == [2, 5, 7, 10, 12, 14, 17, 19, 22, 24]
    assert records.best_validation(entries, metric, by_iter) == max(v for _, v in curve)
    assert glob.glob(osp.join(work_dir, 'best_accuracy_*.pth'))

"""End to end on a small demo AVA set: train the demo config (loss goes down), then
``tools/test.py`` prints the real metric for the checkpoint."""

import os.path as osp

import pytest
from mmengine.runner import Runner

from tasks_detection.demo.ava import write_demo
from tests.helpers.demo_configs import demo_config
from tools import test as test_tool


@pytest.mark.slow
def test_demo_config_trains_and_tools_test_reports_frame_map(tmp_path, capsys):
    root = str(tmp_path / 'ava')
    write_demo('ava', root, seed=0, limit=6)
    cfg = demo_config('configs/tasks/ava_demo.py', 'data/demo/ava', root)
    cfg.work_dir = str(tmp_path / 'work')
    epochs = 10
    cfg.train_cfg.max_epochs = epochs
    cfg.train_cfg.val_begin = cfg.train_cfg.val_interval = epochs
    cfg.param_scheduler[1].update(T_max=epochs - 1, end=epochs)
    cfg.default_hooks.checkpoint.update(interval=epochs, save_best=None)
    cfg.default_hooks.logger.interval = 1
    runner = Runner.from_cfg(cfg)
    runner.train()
    losses = runner.message_hub.get_scalar('train/loss').data[0]
    assert len(losses) >= 2 * epochs
    assert losses[-6:].mean() < 0.8 * losses[:6].mean()

    config = tmp_path / 'ava_small.py'
    cfg.dump(str(config))
    checkpoint = osp.join(cfg.work_dir, f'epoch_{epochs}.pth')
    metrics = test_tool.main([str(config), checkpoint, '--work-dir', str(tmp_path / 'test')])
    assert "'mAP/overall':" in capsys.readouterr().out
    assert 0 < metrics['mAP/overall'] <= 1


def test_a_test_run_writes_video_replicates_whose_full_value_is_its_map(tmp_path):
    """What dlm_bench's frame mAP intervals read: the replicates file of a real test run
    (the demo config, an untrained model), agreeing with the run's mAP."""
    from dlm_bench.catalog import METRICS
    from dlm_bench.records import replicates_per_video

    root = str(tmp_path / 'ava')
    write_demo('ava', root, seed=0, limit=3)
    cfg = demo_config('configs/tasks/ava_demo.py', 'data/demo/ava', root)
    cfg.work_dir = str(tmp_path / 'work')
    out = str(tmp_path / 'replicates.json')
    cfg.merge_from_dict({'test_evaluator.replicates_file': out, 'test_evaluator.replicates': 20})
    metrics = Runner.from_cfg(cfg).test()
    metric = METRICS['ava']
    found = replicates_per_video(metric, out, metrics[metric.key] * metric.scale)
    with open(cfg.test_evaluator.ann_file) as handle:
        videos = sorted({line.split(',')[0] for line in handle if line.strip()})
    assert found['videos'] == videos and len(found['replicate_values']) == 20

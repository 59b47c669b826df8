"""End to end on a small demo THUMOS14 set: train the demo config (loss goes down), then
``tools/test.py`` prints the real metric for the checkpoint."""

import os.path as osp

import pytest
from mmengine.runner import Runner

from tasks_detection.demo.thumos14 import write_demo
from tests.helpers.demo_configs import demo_config
from tools import test as test_tool


@pytest.mark.slow
def test_demo_config_trains_and_tools_test_reports_map(tmp_path, capsys):
    root = str(tmp_path / 'thumos14')
    write_demo('thumos14', root, seed=0, limit=12)
    cfg = demo_config('configs/tasks/thumos14_demo.py', 'data/demo/thumos14', root)
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_cfg.max_epochs = 12
    cfg.train_cfg.val_begin = cfg.train_cfg.val_interval = 12
    cfg.param_scheduler[1].update(T_max=10, end=12)
    cfg.default_hooks.checkpoint.update(interval=12, save_best=None)
    cfg.default_hooks.logger.interval = 1
    runner = Runner.from_cfg(cfg)
    runner.train()
    losses = runner.message_hub.get_scalar('train/loss').data[0]
    assert len(losses) == 36  # 12 epochs x 3 batches of 4 videos
    assert losses[-6:].mean() < 0.7 * losses[:6].mean()

    checkpoint = osp.join(cfg.work_dir, 'epoch_12.pth')
    config = tmp_path / 'thumos14_small.py'
    cfg.dump(str(config))
    metrics = test_tool.main([str(config), checkpoint, '--work-dir', str(tmp_path / 'test')])
    printed = capsys.readouterr().out
    assert {'mAP@0.3', 'mAP@0.5', 'mAP@0.7', 'mAP'} <= set(metrics)
    assert "'mAP':" in printed
    assert 0 <= metrics['mAP'] <= 100


def test_a_test_run_writes_video_replicates_whose_full_value_is_its_map(tmp_path):
    """What dlm_bench's mAP intervals read: the replicates file of a real test run (the demo
    config, an untrained model), over the test videos and agreeing with the run's mAP."""
    import json

    from dlm_bench.catalog import METRICS
    from dlm_bench.records import replicates_per_video

    root = str(tmp_path / 'thumos14')
    write_demo('thumos14', root, seed=0, limit=6)
    cfg = demo_config('configs/tasks/thumos14_demo.py', 'data/demo/thumos14', root)
    cfg.work_dir = str(tmp_path / 'work')
    out = str(tmp_path / 'replicates.json')
    cfg.merge_from_dict({'test_evaluator.replicates_file': out, 'test_evaluator.replicates': 20})
    metrics = Runner.from_cfg(cfg).test()
    found = replicates_per_video(METRICS['thumos14'], out, metrics['mAP'])
    with open(cfg.test_evaluator.ann_file) as handle:
        database = json.load(handle)['database']
    assert found['videos'] == sorted(v for v, d in database.items() if d['subset'] == 'Test')
    assert len(found['replicate_values']) == 20

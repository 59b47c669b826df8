"""End to end: the demo config trains (loss goes down) and tests with COCO AP50."""

import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from tasks_detection.demo import imagenet_vid
from tests.helpers.paths import ROOT

DEMO_CONFIG = osp.join(ROOT, 'configs', 'tasks', 'imagenet_vid_demo.py')


class LossRecorder(Hook):
    def __init__(self):
        self.losses = []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.losses.append(float(outputs['loss']))


@pytest.mark.slow
def test_the_demo_config_trains_and_reports_ap50(tmp_path):
    folder = imagenet_vid.write_demo(
        'imagenet_vid', str(tmp_path / 'imagenet_vid'), seed=0, num_videos=dict(train=4, val=2)
    )
    cfg = Config.fromfile(DEMO_CONFIG)
    cfg.work_dir = str(tmp_path / 'work')
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        loader.dataset.data_root = folder
    cfg.val_evaluator.ann_file = osp.join(folder, imagenet_vid.ann_file('val'))
    cfg.test_evaluator = cfg.val_evaluator
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=4, val_interval=100)
    cfg.param_scheduler = []
    cfg.default_hooks.logger.interval = 4
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=4)
    runner = Runner.from_cfg(cfg)
    recorder = LossRecorder()
    runner.register_hook(recorder)
    runner.train()
    losses = recorder.losses
    assert len(losses) >= 24
    assert sum(losses[-5:]) / 5 < 0.8 * sum(losses[:5]) / 5, losses
    metrics = runner.test()
    assert 0.0 <= metrics['coco/bbox_mAP_50'] <= 1.0


def test_a_test_run_writes_video_replicates_whose_full_value_is_its_ap50(tmp_path):
    """What dlm_bench's AP50 intervals read: the replicates file of a real test run (the
    demo config, an untrained model), over the test videos and agreeing with the run's AP50."""
    from dlm_bench.catalog import METRICS
    from dlm_bench.records import replicates_per_video

    folder = imagenet_vid.write_demo(
        'imagenet_vid', str(tmp_path / 'imagenet_vid'), seed=0, num_videos=dict(train=1, val=3)
    )
    cfg = Config.fromfile(DEMO_CONFIG)
    cfg.work_dir = str(tmp_path / 'work')
    cfg.test_dataloader.dataset.data_root = folder
    out = str(tmp_path / 'replicates.json')
    cfg.test_evaluator = dict(
        cfg.test_evaluator,
        ann_file=osp.join(folder, imagenet_vid.ann_file('val')),
        replicates_file=out,
        replicates=20,
    )
    metrics = Runner.from_cfg(cfg).test()
    found = replicates_per_video(
        METRICS['imagenet_vid'], out, metrics['coco/bbox_mAP_50'] * METRICS['imagenet_vid'].scale
    )
    assert found['videos'] == ['1', '2', '3'] and len(found['replicate_values']) == 20

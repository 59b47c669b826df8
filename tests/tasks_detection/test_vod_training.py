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

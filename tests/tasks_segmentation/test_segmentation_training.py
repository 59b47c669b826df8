"""End to end: the demo config trains ASFormer on the demo 50Salads set and beats the
most-frequent-class baseline by far."""

import collections
import os

import pytest
from mmengine.hooks import Hook
from mmengine.runner import Runner

import tasks_segmentation  # noqa: F401
from dlm_core.run_config import load_run_config
from tasks_segmentation.demo.action_segmentation import write_demo
from tasks_segmentation.evaluation import segmentation_scores, segments
from tests.helpers.paths import ROOT


def labels_of(root, bundle):
    with open(os.path.join(root, 'splits', bundle)) as f:
        videos = [line.strip() for line in f if line.strip()]
    out = []
    for video in videos:
        with open(os.path.join(root, 'groundTruth', video)) as f:
            out.append(f.read().split())
    return out


def demo_set_and_config(tmp_path, **cfg_options):
    """The demo 50Salads set written under ``tmp_path`` and the demo config reading it."""
    data_root = write_demo('50salads', str(tmp_path / 'data' / '50salads'), seed=0)
    for loader in ('train', 'val', 'test'):
        cfg_options[f'{loader}_dataloader.dataset.data_root'] = data_root
    config = os.path.join(ROOT, 'configs', 'tasks', '50salads_demo.py')
    return data_root, load_run_config(config, str(tmp_path / 'work'), cfg_options)


@pytest.mark.slow
def test_demo_config_learns_to_segment(tmp_path):
    data_root, cfg = demo_set_and_config(
        tmp_path,
        **{
            'train_cfg.max_epochs': 40,
            'param_scheduler': [
                dict(type='CosineAnnealingLR', T_max=40, eta_min=1e-5, by_epoch=True)
            ],
            'default_hooks.logger.interval': 1,
        },
    )
    runner = Runner.from_cfg(cfg)
    losses = []
    runner.register_hook(_LossRecorder(losses), priority='LOWEST')
    runner.train()
    metrics = runner.test()

    first, last = sum(losses[:4]) / 4, sum(losses[-4:]) / 4
    assert last < 0.5 * first, (first, last)

    # the trivial baseline: the most frequent training class on every test frame
    train = labels_of(data_root, 'train.split1.bundle')
    test = labels_of(data_root, 'test.split1.bundle')
    frequent = collections.Counter(label for video in train for label in video).most_common(1)
    baseline = segmentation_scores([[frequent[0][0]] * len(v) for v in test], test)
    assert metrics['f1@50'] > baseline['f1@50'] + 40, (metrics, baseline)
    assert metrics['acc'] > baseline['acc'] + 40, (metrics, baseline)
    assert metrics['edit'] > 50


class _LossRecorder(Hook):
    """Records the training loss of every iteration."""

    def __init__(self, losses):
        self.losses = losses

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.losses.append(float(outputs['loss']))


def test_a_test_run_writes_per_video_counts_that_sum_to_its_f1(tmp_path):
    """What dlm_bench's F1 intervals read: the metric's per-video file from a real test run
    (the demo config, an untrained model), named by video and summing to the run's F1."""
    from dlm_bench.catalog import METRICS
    from dlm_bench.records import f1_counts_per_video

    per_video = str(tmp_path / 'per_video.json')
    data_root, cfg = demo_set_and_config(tmp_path, **{'test_evaluator.per_video_file': per_video})
    metrics = Runner.from_cfg(cfg).test()
    ids, counts = f1_counts_per_video(METRICS['50salads'], per_video, metrics['f1@50'])
    with open(os.path.join(data_root, 'splits', 'test.split1.bundle')) as f:
        bundle = [line.strip() for line in f if line.strip()]
    assert ids == [name.rsplit('.', 1)[0] for name in bundle]
    # whatever the model predicts, every ground-truth action segment of a video is a TP or
    # a FN of that video
    truth = labels_of(data_root, 'test.split1.bundle')
    assert [tp + fn for tp, _, fn in counts] == [len(segments(t)[0]) for t in truth]

"""End to end on the demo SSv2 set: tools/train.py's Runner trains the recognizer, the loss
goes down, tools/test.py evaluates the checkpoint, and the checkpoint is a plugin backbone."""

import importlib

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

import tasks_recognition  # noqa: F401  (its registries reach the plugin and the dataset)
from dlm_core.registry import TASKS, build_from
from dlm_core.run_config import load_run_config
from tasks_recognition.demo.action_recognition import write_demo

CONFIG = 'configs/tasks/ssv2_demo.py'
EPOCHS = 20  # the config's own schedule, on a subset of the demo data


class LossRecorder(Hook):
    def __init__(self):
        self.losses = []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.losses.append((runner.epoch, float(outputs['loss'])))


def subset(src, dst, per_class):
    """The first ``per_class`` lines of each label of a list file."""
    kept, counts = [], {}
    for line in src.read_text().splitlines():
        label = line.split()[1]
        counts[label] = counts.get(label, 0) + 1
        if counts[label] <= per_class:
            kept.append(line)
    dst.write_text('\n'.join(kept) + '\n')
    return str(dst)


def load_tool(name):
    return importlib.import_module(f'tools.{name}')


@pytest.mark.slow
def test_demo_training_lowers_the_loss_and_its_checkpoint_is_evaluated_and_reused(tmp_path):
    root = tmp_path / 'ssv2'
    write_demo('ssv2', str(root))
    train_list = subset(root / 'sthv2_train_list_videos.txt', tmp_path / 'train.txt', 20)
    val_list = subset(root / 'sthv2_val_list_videos.txt', tmp_path / 'val.txt', 10)
    data = {
        f'{split}_dataloader.dataset.{key}': value
        for split, ann in (('train', train_list), ('val', val_list), ('test', val_list))
        for key, value in (('ann_file', ann), ('data_prefix.video', str(root / 'videos')))
    }
    options = dict(data, **{'train_cfg.max_epochs': EPOCHS, 'train_cfg.val_interval': EPOCHS})
    work_dir = str(tmp_path / 'work')

    runner = Runner.from_cfg(load_run_config(CONFIG, work_dir, options))
    recorder = LossRecorder()
    runner.register_hook(recorder)
    runner.train()

    def epoch_mean(epoch):
        values = [loss for e, loss in recorder.losses if e == epoch]
        return sum(values) / len(values)

    first, last = epoch_mean(0), epoch_mean(EPOCHS - 1)
    assert last < 0.75 * first, f'mean training loss {first:.3f} (epoch 1) -> {last:.3f}'

    checkpoint = f'{work_dir}/epoch_{EPOCHS}.pth'
    metrics = load_tool('test').main(
        [CONFIG, checkpoint, '--work-dir', work_dir, '--cfg-options']
        + [f'{k}={v}' for k, v in data.items()]
    )
    assert {'acc/top1', 'acc/top5', 'acc/mean1'} <= set(metrics)
    assert 0.0 <= metrics['acc/top1'] <= 1.0

    # the single-task checkpoint is what a DLM run loads as its frozen recognizer
    plugin = build_from(
        TASKS,
        dict(type='ActionRecognitionTask', model=runner.cfg.model.to_dict(), checkpoint=checkpoint),
    )
    plugin.load_checkpoint()
    inputs = torch.randn(2, 1, 3, 8, 32, 32)
    runner.model.eval()
    plugin.eval()
    with torch.no_grad():
        state = plugin.run_layers(plugin.embed(inputs), 0, plugin.num_layers)
        torch.testing.assert_close(plugin.features(state)[0], runner.model(inputs, mode='tensor'))

"""End to end on the demo set: the single-task run and a DLM run with VIS as the primary."""

import copy
import importlib
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from dlm_core.run_config import load_run_config
from tests.helpers.vis import DEMO_CONFIG, PLUGIN, demo_set

KEYS = {'youtube_vis/segm_mAP', 'youtube_vis/segm_mAP_50', 'youtube_vis/segm_mAP_75'}


def demo_run_config(root, work_dir, epochs) -> Config:
    cfg = load_run_config(DEMO_CONFIG, str(work_dir))
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = root
    cfg.train_cfg.update(max_epochs=epochs, val_begin=epochs, val_interval=epochs)
    cfg.custom_hooks[0].update(
        ann_file=osp.join(root, 'pretrain.json'),
        img_prefix=osp.join(root, 'pretrain', 'JPEGImages'),
        iters=20,
        batch_size=8,
    )
    cfg.param_scheduler[1].update(T_max=epochs - 1, end=epochs)
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.interval = epochs
    return cfg


def losses(runner) -> np.ndarray:
    return np.asarray(runner.message_hub.get_scalar('train/loss').data[0])


def fixed_batch_loss(model, batch) -> float:
    """The model's training loss on ``batch``, with the loss's random point sampling seeded
    and the model in eval mode (no prompt average is updated)."""
    import torch

    torch.manual_seed(0)
    training = model.training
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(batch, True)
        parsed, _ = model.parse_losses(model(**data, mode='loss'))
    model.train(training)
    return float(parsed)


def run_tool(name, argv):
    return importlib.import_module(f'tools.{name}').main(argv)


@pytest.mark.slow
def test_demo_training_lowers_the_loss_and_tools_test_prints_video_ap(tmp_path, capsys):
    root = demo_set(num_train=24, num_valid=4)
    epochs = 6  # 6 batches of 4 videos an epoch
    runner = Runner.from_cfg(demo_run_config(root, tmp_path / 'vis', epochs))
    runner.train()
    history = losses(runner)
    assert len(history) == 6 * epochs
    assert history[-6:].mean() < 0.8 * history[:6].mean()
    checkpoint = str(tmp_path / 'vis' / f'epoch_{epochs}.pth')
    assert osp.isfile(checkpoint)

    # python tools/test.py CONFIG CKPT, on the same demo set
    options = {f'{k}.dataset.data_root': root for k in ('val_dataloader', 'test_dataloader')}
    metrics = run_tool(
        'test',
        [DEMO_CONFIG, checkpoint, '--work-dir', str(tmp_path / 'test'), '--cfg-options']
        + [f'{k}={v}' for k, v in options.items()],
    )
    assert set(metrics) >= KEYS
    assert all(0 <= metrics[k] <= 1 for k in KEYS)
    assert "'youtube_vis/segm_mAP':" in capsys.readouterr().out

    # the trained model as the frozen primary of a DLM run (prompted by itself)
    cfg = demo_run_config(root, tmp_path / 'dlm', 8)
    task = dict(type=PLUGIN, model=copy.deepcopy(cfg.model.to_dict()), checkpoint=checkpoint)
    cfg.model = dict(
        type='dlm.MultiTaskPromptModel',
        primary=task,
        auxiliaries=dict(vis=copy.deepcopy(task)),
        mapper=dict(type='DoubleLayerMapper', num_prompts=4, reduction=4),
        infer_mode='static',
    )
    cfg.optim_wrapper.optimizer.lr = 3e-3
    cfg.custom_hooks = []  # as configs/dlm/youtube_vis_aux5.py: the frozen VIS model is trained
    runner = Runner.from_cfg(cfg)
    trainable = {n for n, p in runner.model.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith('mapper.') for n in trainable)
    batch = next(iter(runner.build_dataloader(cfg.train_dataloader)))
    before = fixed_batch_loss(runner.model, batch)
    runner.train()
    # one batch, the same frames and loss points before and after: single batches of the
    # running loss differ by more than what 48 mapper steps change
    assert fixed_batch_loss(runner.model, batch) < before
    assert int(runner.model.ema_steps) == 8 * 6
    metrics = runner.val_loop.run()  # static prompts, no auxiliary model
    assert set(metrics) >= KEYS


def test_a_test_run_writes_video_replicates_whose_full_value_is_its_video_ap(tmp_path):
    """What dlm_bench's video AP intervals read: the replicates file of a real test run
    (the demo config, an untrained model), agreeing with the run's video AP."""
    from dlm_bench.catalog import METRICS
    from dlm_bench.records import replicates_per_video

    root = demo_set(num_train=4, num_valid=3)
    cfg = demo_run_config(root, tmp_path / 'vis', epochs=1)
    out = str(tmp_path / 'replicates.json')
    cfg.merge_from_dict({'test_evaluator.replicates_file': out, 'test_evaluator.replicates': 20})
    metrics = Runner.from_cfg(cfg).test()
    metric = METRICS['youtube_vis']
    found = replicates_per_video(metric, out, metrics[metric.key] * metric.scale)
    assert len(found['videos']) == 3 and len(found['replicate_values']) == 20

"""The real-size ASFormer configs (50Salads, Breakfast, GTEA) build and run on the real layout."""

import os

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

import tasks_segmentation  # noqa: F401
from dlm_core.run_config import load_run_config
from tasks_segmentation.registry import MODELS
from tests.helpers.paths import ROOT

REAL = {  # config: (classes, sample rate, lr, channel masking)
    'asformer_50salads': (19, 2, 5e-4, 0.3),
    'asformer_breakfast': (48, 1, 1e-4, 0.3),
    'asformer_gtea': (11, 1, 5e-4, 0.5),
}


def config_path(name):
    return os.path.join(ROOT, 'configs', 'tasks', 'real', f'{name}.py')


def write_i3d_layout(root, num_classes, channels=2048):
    """Two videos of random 'I3D' features in the MS-TCN layout."""
    for sub in ('features', 'groundTruth', 'splits'):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    names = [f'class_{i}' for i in range(num_classes - 1)] + ['background']
    with open(os.path.join(root, 'mapping.txt'), 'w') as f:
        f.write(''.join(f'{i} {n}\n' for i, n in enumerate(names)))
    rng = np.random.default_rng(0)
    for video in ('vid_a', 'vid_b'):
        labels = [names[i] for i in np.repeat(rng.integers(0, num_classes, 4), 9)]
        np.save(
            os.path.join(root, 'features', f'{video}.npy'),
            rng.standard_normal((channels, len(labels))).astype(np.float32),
        )
        with open(os.path.join(root, 'groundTruth', f'{video}.txt'), 'w') as f:
            f.write(''.join(f'{label}\n' for label in labels))
    for subset, video in (('train', 'vid_a'), ('test', 'vid_b')):
        with open(os.path.join(root, 'splits', f'{subset}.split1.bundle'), 'w') as f:
            f.write(f'{video}.txt\n')


@pytest.mark.parametrize('name', REAL)
def test_real_config_has_the_papers_settings(name):
    num_classes, sample_rate, lr, masking = REAL[name]
    cfg = Config.fromfile(config_path(name))
    assert cfg.default_scope == 'tasks_segmentation'
    backbone = cfg.model.backbone
    assert (backbone.in_channels, backbone.embed_dims, backbone.num_layers) == (2048, 64, 10)
    assert (backbone.num_decoders, backbone.qk_ratio, backbone.v_ratio) == (3, 2, 2)
    assert (backbone.num_classes, backbone.channel_dropout) == (num_classes, masking)
    assert cfg.optim_wrapper.optimizer == dict(type='Adam', lr=lr, weight_decay=1e-5)
    assert cfg.train_cfg.max_epochs == 120 and cfg.train_dataloader.batch_size == 1
    assert cfg.custom_hooks == [dict(type='EpochLossPlateauHook', factor=0.5, patience=3)]
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[loader].dataset
        assert dataset.data_root == f'data/{name.split("_")[1]}'
        assert dataset.sample_rate == sample_rate
    assert cfg.train_dataloader.dataset.ann_file == 'splits/train.split1.bundle'
    assert cfg.test_dataloader.dataset.ann_file == 'splits/test.split1.bundle'
    with DefaultScope.overwrite_default_scope('tasks_segmentation'):
        model = MODELS.build(cfg.model)
    assert model.backbone.num_classes == num_classes
    if name == 'asformer_50salads':
        assert sum(p.numel() for p in model.parameters()) == 1_134_476


@pytest.mark.parametrize('name', REAL)
def test_real_config_trains_and_tests_on_the_real_layout(name, tmp_path):
    num_classes = REAL[name][0]
    data_root = str(tmp_path / 'data')
    write_i3d_layout(data_root, num_classes)
    loader = dict(num_workers=0, persistent_workers=False, dataset=dict(data_root=data_root))
    cfg = load_run_config(
        config_path(name),
        work_dir=str(tmp_path / 'work'),
        cfg_options={
            'train_dataloader': loader,
            'val_dataloader': loader,
            'test_dataloader': loader,
            'train_cfg.max_epochs': 1,
            'train_cfg.val_begin': 1,
            'train_cfg.val_interval': 1,
            'default_hooks.logger.interval': 1,
        },
    )
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.test()
    assert set(metrics) == {'acc', 'edit', 'f1@10', 'f1@25', 'f1@50'}
    assert all(0 <= v <= 100 for v in metrics.values())

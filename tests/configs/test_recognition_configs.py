"""The recognition configs build: real-size ViT-B/16 (VideoMAE V2 geometry) and the demo."""

import pytest
from mmengine.config import Config

import tasks_recognition  # noqa: F401  (its registries reach the plugin and the dataset)
from dlm_core.registry import TASKS, build_from
from tasks_recognition.datasets import ValidatedVideoDataset
from tasks_recognition.demo import DEMO_CLASSES
from tasks_recognition.demo.action_recognition import write_demo
from tasks_recognition.registry import DATASETS

REAL = {
    'configs/tasks/real/vit_b_ssv2.py': (174, 'data/sthv2/sthv2_val_list_videos.txt'),
    'configs/tasks/real/vit_b_ucf101.py': (101, 'data/ucf101/ucf101_val_split_1_videos.txt'),
    'configs/tasks/real/vit_b_hmdb51.py': (51, 'data/hmdb51/hmdb51_val_split_1_videos.txt'),
}


@pytest.fixture(scope='module')
def vit_b():
    cfg = Config.fromfile('configs/tasks/real/vit_b_ssv2.py')
    return build_from(TASKS, dict(type='ActionRecognitionTask', model=cfg.model.to_dict()))


def test_real_config_has_the_vit_b_geometry_and_parameter_count(vit_b):
    backbone = sum(p.numel() for p in vit_b.backbone.parameters())
    assert 86_000_000 <= backbone <= 87_000_000, f'ViT-B backbone has {backbone:,} parameters'
    assert (vit_b.embed_dim, vit_b.num_layers, vit_b.tap_layer) == (768, 12, 6)
    assert (vit_b.num_frames, vit_b.img_size, vit_b.tubelet_size) == (16, 224, 2)
    assert vit_b.backbone.patch_size == 16 and vit_b.backbone.pos_embed.shape == (1, 1568, 768)
    assert vit_b.backbone.fc_norm is not None  # mean pooling, as VideoMAE fine-tunes
    assert len(vit_b.backbone.blocks[0].attn.q_bias) == 768  # VideoMAE's q/v biases


@pytest.mark.parametrize('path', sorted(REAL))
def test_real_configs_build_with_their_classes_and_real_data_paths(path):
    num_classes, val_list = REAL[path]
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'tasks_recognition'
    assert cfg.model.cls_head.num_classes == num_classes
    for split in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[split].dataset
        assert dataset.type == 'ValidatedVideoDataset' and dataset.num_classes == num_classes
        assert dataset.check_videos == 'decode' and dataset.on_invalid == 'error'
        assert dataset.pipeline[0].type == 'FrameAccurateInit'
    assert cfg.val_dataloader.dataset.ann_file == val_list
    # SSv2 is direction-sensitive: no flip augmentation
    flips = [t for t in cfg.train_dataloader.dataset.pipeline if t.type == 'Flip']
    assert bool(flips) == ('ssv2' not in path)
    # the data is not on this machine: building the dataset names the list it looked for
    with pytest.raises(FileNotFoundError, match=f'video list {val_list} does not exist'):
        DATASETS.build(cfg.val_dataloader.dataset)


def test_real_head_and_backbone_build_for_each_dataset():
    for path, (num_classes, _) in REAL.items():
        cfg = Config.fromfile(path)
        plugin = build_from(TASKS, dict(type='ActionRecognitionTask', model=cfg.model.to_dict()))
        assert plugin.model.cls_head.fc_cls.out_features == num_classes
        assert plugin.model.cls_head.fc_cls.in_features == plugin.embed_dim == 768


def test_demo_config_builds_model_and_metric():
    cfg = Config.fromfile('configs/tasks/ssv2_demo.py')
    assert cfg.default_scope == 'tasks_recognition' and cfg.data_root == 'data/demo/ssv2'
    assert cfg.val_evaluator.type == 'AccMetric'
    assert cfg.train_dataloader.dataset.ann_file == 'data/demo/ssv2/sthv2_train_list_videos.txt'
    plugin = build_from(TASKS, dict(type='ActionRecognitionTask', model=cfg.model.to_dict()))
    assert plugin.model.cls_head.num_classes == cfg.num_classes == len(DEMO_CLASSES['ssv2'])


@pytest.mark.parametrize('name', ['ucf101', 'hmdb51'])
def test_held_out_demo_configs_read_their_own_sets(tmp_path, name):
    cfg = Config.fromfile(f'configs/tasks/{name}_demo.py')
    assert cfg.model.cls_head.num_classes == len(DEMO_CLASSES[name])
    for split in ('train', 'val', 'test'):
        dataset = cfg[f'{split}_dataloader'].dataset
        assert dataset.num_classes == len(DEMO_CLASSES[name])
        wanted = 'train' if split == 'train' else 'val'
        assert dataset.ann_file == f'data/demo/{name}/{name}_{wanted}_split_1_videos.txt'
    if name == 'hmdb51':  # the small one: written and read through the config
        write_demo(name, str(tmp_path))
        dataset_cfg = cfg.val_dataloader.dataset.to_dict()
        dataset_cfg.update(
            ann_file=str(tmp_path / 'hmdb51_val_split_1_videos.txt'),
            data_prefix=dict(video=str(tmp_path / 'videos')),
        )
        dataset = DATASETS.build(dataset_cfg)
        assert isinstance(dataset, ValidatedVideoDataset) and len(dataset) == 45
        assert dataset[0]['inputs'].shape == (1, 3, 8, 32, 32)

"""The video instance segmentation configs: the real-size one builds and is mmdet's own."""

import os.path as osp

import mmdet
import torch
from mmdet.models.vis import Mask2FormerVideo
from mmengine.config import Config
from mmengine.registry import DefaultScope

from dlm_core.registry import TASKS, build_from
from tasks_segmentation.datasets.youtube_vis import YouTubeVISJsonDataset
from tasks_segmentation.evaluation.youtube_vis_metric import RepeatableYouTubeVISMetric
from tasks_segmentation.registry import METRICS, MODELS
from tests.helpers.vis import DEMO_CONFIG, PLUGIN, REAL_CONFIG, dataset, demo_set

MMDET_CONFIG = osp.join(
    osp.dirname(mmdet.__file__),
    '.mim',
    'configs',
    'mask2former_vis',
    'mask2former_r50_8xb2-8e_youtubevis2019.py',
)


def test_the_real_config_is_mmdets_mask2former_vis_r50_on_the_official_json():
    real, reference = Config.fromfile(REAL_CONFIG), Config.fromfile(MMDET_CONFIG)
    assert real.default_scope == 'tasks_segmentation'
    assert real.model.to_dict() == reference.model.to_dict()
    assert real.optim_wrapper == reference.optim_wrapper
    assert real.param_scheduler == reference.param_scheduler
    for split in ('train_dataloader', 'test_dataloader'):
        mine, theirs = real[split].dataset, reference[split].dataset
        assert mine.pipeline == theirs.pipeline
        assert mine.type == 'YouTubeVISJsonDataset' and mine.dataset_version == '2019'
    assert real.train_dataloader.dataset.data_root == 'data/youtube_vis_2019/'
    assert real.train_dataloader.dataset.ann_file == 'train.json'
    assert real.test_dataloader.dataset.ann_file == 'valid.json'
    assert real.test_evaluator.format_only  # valid.json holds no annotations


def test_the_real_config_builds_a_resnet50_mask2former_vis_and_its_plugin():
    cfg = Config.fromfile(REAL_CONFIG)
    with DefaultScope.overwrite_default_scope('tasks_segmentation'):
        model = MODELS.build(cfg.model)
        metric = METRICS.build(cfg.test_evaluator)
    assert isinstance(model, Mask2FormerVideo) and model.backbone.depth == 50
    assert isinstance(metric, RepeatableYouTubeVISMetric)
    assert sum(p.numel() for p in model.parameters()) > 40_000_000
    plugin = build_from(TASKS, dict(type=PLUGIN, model=cfg.model.to_dict()))
    assert (plugin.embed_dim, plugin.num_layers, plugin.tap_layer) == (256, 9, 4)
    assert plugin.model.track_head.num_queries == 100
    with torch.no_grad():
        tap = plugin.tap(plugin.view(dict(frames=torch.rand(1, 2, 3, 64, 64))))
    assert tap.shape == (1, 100, 256)


def test_the_demo_config_builds_model_data_and_metric():
    cfg = Config.fromfile(DEMO_CONFIG)
    assert cfg.default_scope == 'tasks_segmentation'
    assert cfg.train_dataloader.dataset.data_root == 'data/demo/youtube_vis'
    with DefaultScope.overwrite_default_scope('tasks_segmentation'):
        model = MODELS.build(cfg.model)
        metric = METRICS.build(cfg.val_evaluator)
    assert isinstance(model, Mask2FormerVideo)
    assert isinstance(metric, RepeatableYouTubeVISMetric)
    root = demo_set()
    train, valid = dataset(root, 'train'), dataset(root, 'valid')
    assert isinstance(train, YouTubeVISJsonDataset) and len(train) == 16 and len(valid) == 4
    sample = train[0]
    assert sample['inputs'].shape == (2, 3, 96, 96)  # key frame + one reference frame
    assert len(valid[0]['data_samples']) == valid.get_data_info(0)['video_length']

"""The video object detection configs build: the real-size TransVOD-style one and the demo."""

import os.path as osp

import torch
from mmdet.evaluation.metrics import CocoVideoMetric
from mmdet.models.backbones import ResNet
from mmdet.models.detectors import DeformableDETR
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.config import Config
from mmengine.registry import DefaultScope

from dlm_core.registry import TASKS, build_from
from tasks_detection.models import TemporalQueryDETR
from tasks_detection.registry import METRICS, MODELS
from tests.helpers.paths import ROOT

CONFIGS = osp.join(ROOT, 'configs', 'tasks')
REAL_CONFIG = osp.join(CONFIGS, 'real', 'transvod_r50_imagenet_vid.py')
DEMO_CONFIG = osp.join(CONFIGS, 'imagenet_vid_demo.py')


def build_model(cfg):
    with DefaultScope.overwrite_default_scope('tasks_detection'):
        return MODELS.build(cfg.model)


def test_the_real_config_builds_a_resnet50_deformable_detr_with_a_temporal_stage():
    cfg = Config.fromfile(REAL_CONFIG)
    assert cfg.default_scope == 'tasks_detection'
    cfg.model.detector.backbone.init_cfg = None  # no download here; the structure is the point
    model = build_model(cfg)
    assert isinstance(model, TemporalQueryDETR) and isinstance(model.detector, DeformableDETR)
    assert isinstance(model.detector.backbone, ResNet) and model.detector.backbone.depth == 50
    assert model.detector.num_queries == 300 and model.num_decoder_layers == 6
    assert model.detector.with_box_refine and model.num_temporal_layers == 1
    assert sum(p.numel() for p in model.parameters()) > 35_000_000
    data = cfg.train_dataloader.dataset
    assert data.type == 'ImagenetVIDDataset' and data.data_root == 'data/ILSVRC/'
    assert data.ann_file == 'annotations/imagenet_vid_train.json'
    assert cfg.test_evaluator.type == 'CocoVideoMetricWithResamples'
    plugin = build_from(
        TASKS, dict(type='tasks_detection.VideoObjectDetectionTask', model=cfg.model.to_dict())
    )
    assert (plugin.embed_dim, plugin.num_layers, plugin.tap_layer) == (256, 6, 3)


def test_the_demo_config_builds_and_its_metric_is_mmdets_coco_video_metric_with_resamples():
    cfg = Config.fromfile(DEMO_CONFIG)
    assert cfg.data_root == 'data/demo/imagenet_vid'
    model = build_model(cfg)
    assert isinstance(model.detector, DeformableDETR)
    with DefaultScope.overwrite_default_scope('tasks_detection'):
        metric = METRICS.build(dict(cfg.test_evaluator, ann_file=None))
    assert type(metric).__name__ == 'CocoVideoMetricWithResamples'
    assert isinstance(metric, CocoVideoMetric) and metric.replicates_file is None
    inputs = torch.rand(1, 3, 3, 64, 64)
    frames = [DetDataSample(metainfo=dict(img_shape=(64, 64), batch_input_shape=(64, 64)))]
    track = TrackDataSample()
    track.video_data_samples = frames * 3
    track.set_metainfo(dict(key_frames_inds=[1]))
    with torch.no_grad():
        hidden = model(inputs, [track], mode='tensor')
    assert hidden.shape == (4, 3, 20, 64)  # decoder layers, frames, queries, width

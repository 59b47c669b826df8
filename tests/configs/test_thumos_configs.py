"""The THUMOS14 configs build: the real-size detector over ViT-B features, its ViT-B
feature extractor for views, and the demo config."""

import torch
from mmengine.config import Config

from dlm_core.registry import TASKS, build_from
from tasks_detection.registry import DATASETS, METRICS, MODELS, build_in_scope


def test_real_config_builds_at_full_size_with_real_paths():
    cfg = Config.fromfile('configs/tasks/real/vit_b_thumos14.py')
    assert cfg.default_scope == 'tasks_detection'
    plugin = build_from(TASKS, dict(type='tasks_detection.TemporalDetectionTask', model=cfg.model))
    detector = plugin.model
    assert (detector.in_channels, detector.num_classes) == (768, 20)
    assert (plugin.embed_dim, plugin.num_layers, plugin.tap_layer) == (512, 6, 3)
    assert detector.regression_ranges[-1] == (64, 10000) and detector.max_stride == 32
    assert cfg.train_dataloader.dataset.ann_file == 'data/thumos14/annotations/thumos14.json'
    assert cfg.train_dataloader.dataset.subset == 'Validation'
    assert cfg.test_dataloader.dataset.subset == 'Test'
    assert cfg.train_dataloader.dataset.data_prefix.feat == 'data/thumos14/features'
    metric = build_in_scope(METRICS, cfg.test_evaluator)
    assert metric.tiou_thresholds == [0.3, 0.4, 0.5, 0.6, 0.7]
    # a long THUMOS14 video: 2304 snippets of 768-d ViT-B features
    with torch.no_grad():
        tokens = plugin.tap(dict(features=torch.randn(1, 768, 2304)))
    assert tokens.shape == (1, 2304, 512)


def test_real_feature_extractor_is_a_vit_b_slid_over_snippets():
    cfg = Config.fromfile('configs/tasks/real/vit_b_thumos14.py')
    extractor_cfg = dict(cfg.feature_extractor.to_dict(), checkpoint=None)
    extractor = build_in_scope(MODELS, extractor_cfg)
    params = sum(p.numel() for p in extractor.backbone.parameters())
    assert 86_000_000 <= params <= 87_000_000, f'{params:,}'
    small = build_in_scope(MODELS, dict(extractor_cfg, img_size=32))  # fast: 2 x 2 patches
    small.load_state_dict(extractor.state_dict())
    features = small.eval()(torch.rand(1, 24, 3, 40, 50))  # 24 frames: (24 - 16) // 4 + 1 = 3
    assert features.shape == (1, 768, 3)


def test_demo_config_builds_model_dataset_and_metric():
    cfg = Config.fromfile('configs/tasks/thumos14_demo.py')
    model = build_in_scope(MODELS, cfg.model)
    assert model.in_channels == 128 and model.num_classes == 8 and len(model.layers) == 4
    assert cfg.train_dataloader.dataset.ann_file == 'data/demo/thumos14/annotations/thumos14.json'
    assert DATASETS.get(cfg.train_dataloader.dataset.type) is not None
    assert build_in_scope(METRICS, cfg.val_evaluator).subset == 'Test'
    assert cfg.custom_hooks[0].type == 'dlm.TorchThreadsHook'


def test_clip_backbone_extractor_loads_a_recognizer_checkpoint(tmp_path):
    cfg = dict(
        type='ClipBackboneExtractor',
        backbone=dict(
            type='mmaction.VisionTransformer',
            img_size=32,
            patch_size=16,
            embed_dims=32,
            depth=2,
            num_heads=2,
            num_frames=4,
            use_mean_pooling=True,
        ),
        snippet_len=4,
        stride=2,
        img_size=32,
    )
    source = build_in_scope(MODELS, cfg)
    state = {f'backbone.{k}': v for k, v in source.backbone.state_dict().items()}
    state['cls_head.fc.weight'] = torch.zeros(3, 32)  # a recognizer's head is left out
    torch.save({'state_dict': state}, tmp_path / 'recognizer.pth')
    loaded = build_in_scope(MODELS, dict(cfg, checkpoint=str(tmp_path / 'recognizer.pth')))
    frames = torch.rand(2, 9, 3, 20, 24)
    torch.testing.assert_close(loaded.eval()(frames), source.eval()(frames))
    assert loaded(frames).shape == (2, 32, 3)

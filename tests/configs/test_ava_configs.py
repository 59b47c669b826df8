"""The AVA configs build: the real-size FastRCNN + ViT-B/16 (mmaction2's VideoMAE AVA
geometry) with real data paths, and the demo config."""

from mmengine.config import Config

from dlm_core.registry import TASKS, build_from
from tasks_detection.registry import METRICS, build_in_scope


def test_real_config_builds_vit_b_fast_rcnn_with_real_paths():
    cfg = Config.fromfile('configs/tasks/real/vit_b_ava.py')
    assert cfg.default_scope == 'tasks_detection'
    plugin = build_from(
        TASKS, dict(type='tasks_detection.SpatioTemporalDetectionTask', model=cfg.model)
    )
    backbone = sum(p.numel() for p in plugin.backbone.parameters())
    assert 86_000_000 <= backbone <= 87_000_000, f'ViT-B backbone has {backbone:,} parameters'
    assert (plugin.embed_dim, plugin.num_layers, plugin.tap_layer) == (768, 12, 6)
    assert plugin.clip_shape == (16, 224, 224)
    assert type(plugin.model).__name__ == 'FastRCNN'
    head = plugin.model.roi_head
    assert type(head).__name__ == 'AVARoIHead' and head.bbox_head.num_classes == 81
    assert type(head.bbox_assigner).__name__ == 'MaxIoUAssignerAVA'
    train = cfg.train_dataloader.dataset
    assert train.type == 'ValidatedAVADataset'
    assert train.ann_file == 'data/ava/annotations/ava_train_v2.2.csv'
    assert train.data_prefix.img == 'data/ava/rawframes'
    assert cfg.val_dataloader.dataset.proposal_file.endswith('val.FAIR.recall_93.9.pkl')
    metric = build_in_scope(METRICS, cfg.val_evaluator)
    assert metric.num_classes == 81 and metric.label_file.endswith('2019.pbtxt')


def test_real_optimizer_constructor_resolves():
    from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS, DefaultScope

    cfg = Config.fromfile('configs/tasks/real/vit_b_ava.py')
    with DefaultScope.overwrite_default_scope('tasks_detection'):
        assert OPTIM_WRAPPER_CONSTRUCTORS.get(cfg.optim_wrapper.constructor) is not None


def test_demo_config_builds():
    cfg = Config.fromfile('configs/tasks/ava_demo.py')
    plugin = build_from(
        TASKS, dict(type='tasks_detection.SpatioTemporalDetectionTask', model=cfg.model)
    )
    assert plugin.clip_shape == (8, 64, 64) and plugin.num_layers == 4
    assert cfg.train_dataloader.dataset.ann_file == 'data/demo/ava/annotations/ava_train_v2.2.csv'
    assert not any(step['type'].endswith('Flip') for step in cfg.train_dataloader.dataset.pipeline)
    assert build_in_scope(METRICS, cfg.val_evaluator).num_classes == 9


def test_held_out_config_reads_the_ava_kinetics_set():
    cfg = Config.fromfile('configs/tasks/ava_kinetics_demo.py')
    for loader in (cfg.train_dataloader, cfg.test_dataloader):
        assert loader.dataset.type == 'ValidatedAVAKineticsDataset'
        assert loader.dataset.ann_file.startswith('data/demo/ava_kinetics/annotations/')
        assert loader.dataset.data_prefix.img == 'data/demo/ava_kinetics/rawframes'
    assert cfg.test_evaluator.ann_file == 'data/demo/ava_kinetics/annotations/ava_val_v2.2.csv'
    assert cfg.model == Config.fromfile('configs/tasks/ava_demo.py').model

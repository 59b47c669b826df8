"""The foundation ViT's backbone loads, key for key, into every ViT task model's variant."""

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

import tasks_detection  # noqa: F401  (its registries reach the AVA plugin)
import tasks_recognition  # noqa: F401  (its registries reach the recognition plugin)
from dlm_core.registry import TASKS, build_from
from tasks_recognition.hooks.foundation_export import (
    PATCH_KERNEL,
    backbone_state,
    save_backbone,
    to_patch_size,
    to_token_norm,
)

RECOGNITION_VARIANTS = {
    'configs/tasks/ssv2_demo_foundation.py': 10,
    'configs/tasks/ucf101_demo_foundation.py': 6,
    'configs/tasks/hmdb51_demo_foundation.py': 5,
}
AVA_VARIANT = 'configs/tasks/ava_demo_foundation.py'


def _build(path: str, checkpoint: str | None = None):
    cfg = Config.fromfile(path)
    if checkpoint is not None:
        cfg.model.backbone.init_cfg.checkpoint = checkpoint
    if cfg.default_scope == 'tasks_detection':
        task = dict(type='tasks_detection.SpatioTemporalDetectionTask', model=cfg.model)
    else:
        task = dict(type='ActionRecognitionTask', model=cfg.model.to_dict())
    return cfg, build_from(TASKS, task).model


@pytest.fixture(scope='module')
def foundation(tmp_path_factory):
    """A foundation model (random weights: the keys and shapes are what is tested) and its
    exported backbones, as ExportFoundationBackboneHook writes them."""
    _, model = _build('configs/foundation/demo_vit.py')
    state = backbone_state(model)
    folder = tmp_path_factory.mktemp('foundation')
    save_backbone(state, str(folder / 'backbone.pth'), 'test')
    save_backbone(
        to_token_norm(to_patch_size(state, 16)), str(folder / 'backbone_patch16.pth'), 'test'
    )
    return state, folder


def test_foundation_is_the_recognition_vit_with_a_110_class_head():
    cfg = Config.fromfile('configs/foundation/demo_vit.py')
    ssv2 = Config.fromfile('configs/tasks/ssv2_demo.py')
    assert cfg.model.backbone == ssv2.model.backbone
    assert cfg.model.cls_head.type == 'LatentFactorHead'
    assert cfg.model.cls_head.num_motions * cfg.model.cls_head.num_digits == 110
    assert cfg.train_dataloader.dataset.ann_file.startswith('data/demo/foundation/')
    assert [h.type for h in cfg.custom_hooks][-1] == 'ExportFoundationBackboneHook'


@pytest.mark.parametrize('path', sorted(RECOGNITION_VARIANTS))
def test_recognition_variants_load_every_backbone_key(foundation, path):
    state, folder = foundation
    _, model = _build(path, str(folder / 'backbone.pth'))
    assert model.cls_head.fc_cls.out_features == RECOGNITION_VARIANTS[path]
    own = model.backbone.state_dict()
    assert set(own) == set(state)  # no missing, no unexpected key
    assert all(own[k].shape == state[k].shape for k in state)
    model.backbone.init_weights()  # what the runner does: the init_cfg loads the file
    loaded = model.backbone.state_dict()
    assert all(torch.equal(loaded[k], state[k]) for k in state)


def test_ava_variant_loads_every_backbone_key(foundation):
    _, folder = foundation
    state16 = torch.load(folder / 'backbone_patch16.pth', weights_only=True)['state_dict']
    _, model = _build(AVA_VARIANT, str(folder / 'backbone_patch16.pth'))
    own = model.backbone.state_dict()
    assert set(own) == set(state16)
    assert all(own[k].shape == state16[k].shape for k in state16)
    model.backbone.init_weights()
    loaded = model.backbone.state_dict()
    assert all(torch.equal(loaded[k], state16[k]) for k in state16)


def test_plain_ava_config_would_not_take_the_foundation(foundation):
    """Why the AVA variant exists: without layer scale the gammas are unexpected keys."""
    _, folder = foundation
    state16 = torch.load(folder / 'backbone_patch16.pth', weights_only=True)['state_dict']
    _, model = _build('configs/tasks/ava_demo.py')
    assert set(state16) - set(model.backbone.state_dict())


def test_spread_patch_kernel_on_a_larger_frame_equals_the_kernel_on_the_pooled_frame():
    kernel = torch.randn(96, 3, 2, 8, 8)
    spread = to_patch_size({PATCH_KERNEL: kernel}, 16)[PATCH_KERNEL]
    assert spread.shape == (96, 3, 2, 16, 16)
    clip = torch.randn(1, 3, 8, 64, 64)
    pooled = F.avg_pool3d(clip, (1, 2, 2))
    big = F.conv3d(clip, spread, stride=(2, 16, 16))
    small = F.conv3d(pooled, kernel, stride=(2, 8, 8))
    torch.testing.assert_close(big, small, rtol=1e-4, atol=1e-4)


def test_conversions_refuse_states_they_cannot_convert():
    with pytest.raises(ValueError, match='not a multiple'):
        to_patch_size({PATCH_KERNEL: torch.zeros(4, 3, 2, 8, 8)}, 12)
    with pytest.raises(KeyError, match='fc_norm'):
        to_token_norm({'norm.weight': torch.ones(4)})

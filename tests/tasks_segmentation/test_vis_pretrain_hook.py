"""BackboneInstancePretrainHook: the demo's stand-in for the COCO checkpoint of VIS models."""

import json
import logging
import os
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import ConfigDict

from dlm_core.hooks.backbone_pretrain import region_mean
from tasks_segmentation.hooks.instance_pretrain_hook import (
    BackboneInstancePretrainHook,
    load_instance_frames,
)
from tasks_segmentation.registry import MODELS
from tests.helpers.vis import demo_config, demo_set

LOGGER = logging.getLogger('test_vis_pretrain_hook')


def demo_backbone():
    """The demo config's backbone (frozen after pretraining, like the config says)."""
    return MODELS.build(ConfigDict(demo_config().model.backbone))


def hook_for(root, **kwargs):
    options = dict(iters=40, batch_size=8, log_interval=20)
    options.update(kwargs)
    return BackboneInstancePretrainHook(
        ann_file=osp.join(root, 'pretrain.json'),
        img_prefix=osp.join(root, 'pretrain', 'JPEGImages'),
        **options,
    )


def test_frames_masks_and_labels_come_from_the_json():
    root = demo_set(num_train=8, num_valid=2)
    data = load_instance_frames(
        osp.join(root, 'pretrain.json'), osp.join(root, 'pretrain/JPEGImages')
    )
    with open(osp.join(root, 'pretrain.json')) as handle:
        ann = json.load(handle)
    visible = sum(seg is not None for a in ann['annotations'] for seg in a['segmentations'])
    assert data['masks'].shape == (visible, 96, 96) and data['labels'].shape == (visible,)
    assert data['images'].shape[1:] == (96, 96, 3) and data['images'].dtype.name == 'uint8'
    assert data['frame'].max() == len(data['images']) - 1
    assert set(data['labels']) <= set(range(10))
    assert all(data['masks'][m].any() for m in range(visible))


def test_mask_pooling_is_the_mean_inside_the_mask():
    features = torch.arange(2 * 1 * 4 * 4, dtype=torch.float32).view(2, 1, 4, 4)
    masks = torch.zeros(2, 1, 8, 8)
    masks[0, 0, :4, :4] = 1  # the top-left quarter of image 1: cells (0,0) (0,1) (1,0) (1,1)
    masks[1, 0, 4:, 4:] = 1  # the bottom-right quarter of image 0
    pooled = region_mean(features, masks, torch.tensor([1, 0]))
    assert pooled[:, 0].tolist() == [(16 + 17 + 20 + 21) / 4, (10 + 11 + 14 + 15) / 4]


def test_pretraining_fits_the_backbone_and_leaves_it_frozen():
    root = demo_set(num_train=8, num_valid=2)
    torch.manual_seed(0)
    backbone = demo_backbone()
    before = {k: v.clone() for k, v in backbone.state_dict().items()}
    losses = hook_for(root, iters=60).pretrain(backbone, LOGGER)
    assert len(losses) == 60 and sum(losses[-10:]) < 0.5 * sum(losses[:10])
    after = backbone.state_dict()
    assert not torch.equal(before['layer4.1.conv2.weight'], after['layer4.1.conv2.weight'])
    assert not torch.equal(before['bn1.running_mean'], after['bn1.running_mean'])

    backbone.train()  # what the runner does next: the config's frozen_stages=4 apply again
    assert not any(p.requires_grad for p in backbone.parameters())
    assert not any(m.training for m in backbone.modules() if isinstance(m, torch.nn.BatchNorm2d))
    assert all(p.grad is None for p in backbone.parameters())


@pytest.mark.parametrize(
    'state', [dict(iter=5, cfg={}), dict(iter=0, cfg={'load_from': 'some/checkpoint.pth'})]
)
def test_a_resumed_or_fine_tuned_run_keeps_its_checkpoints_backbone(tmp_path, state):
    backbone = demo_backbone()
    before = {k: v.clone() for k, v in backbone.state_dict().items()}
    runner = SimpleNamespace(model=SimpleNamespace(backbone=backbone), logger=LOGGER, **state)
    hook_for(str(tmp_path / 'nothing here')).before_train(runner)  # would fail if it read
    assert all(torch.equal(before[k], v) for k, v in backbone.state_dict().items())


def test_a_model_without_a_backbone_gets_a_clear_error(tmp_path):
    runner = SimpleNamespace(model=torch.nn.Linear(2, 2), logger=LOGGER, iter=0, cfg={})
    with pytest.raises(TypeError, match='Linear has none: the hook belongs in single-task'):
        hook_for(str(tmp_path)).before_train(runner)


def test_a_missing_or_empty_pretraining_split_says_how_to_write_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=r'pretrain\.json.*make_demo_data\.py'):
        load_instance_frames(str(tmp_path / 'pretrain.json'), str(tmp_path))
    root = demo_set(num_train=2, num_valid=1)
    empty = tmp_path / 'empty.json'
    with open(osp.join(root, 'pretrain.json')) as handle:
        data = dict(json.load(handle), annotations=[])
    empty.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r'empty\.json: no annotated frame'):
        load_instance_frames(str(empty), root)


def test_an_old_demo_set_without_the_pretraining_split_is_written_again(tmp_path, monkeypatch):
    from tasks_segmentation.demo import youtube_vis
    from tools.data import make_demo_data

    written = []

    def write_demo(name, folder, seed):
        os.makedirs(folder)
        written.append(seed)

    monkeypatch.setattr(youtube_vis, 'write_demo', write_demo)
    folder = tmp_path / 'youtube_vis'
    folder.mkdir()
    (folder / make_demo_data.MARKER).write_text('seed=0\n')  # written before DEMO_VERSION
    assert make_demo_data.write_set('youtube_vis', str(tmp_path)) == 'written'
    assert written == [0]
    marker = (folder / make_demo_data.MARKER).read_text()
    assert marker == f'seed=0\nversion={youtube_vis.DEMO_VERSION}\n'
    assert make_demo_data.write_set('youtube_vis', str(tmp_path)) == 'kept'
    assert written == [0]

"""The AVA plugin's contract with the core: mmaction2's FastRCNN + ViT split at its blocks."""

import copy

import pytest
import torch
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.structures import InstanceData

from dlm_core.registry import MODELS, TASKS, build_from
from tests.helpers.tool_runs import toy_model

CONFIG = Config.fromfile('configs/tasks/ava_demo.py')
PLUGIN = dict(type='tasks_detection.SpatioTemporalDetectionTask', model=CONFIG.model.to_dict())
THUMOS = dict(
    type='tasks_detection.TemporalDetectionTask',
    model=dict(
        type='TemporalActionDetector',
        in_channels=32,
        num_classes=3,
        embed_dims=32,
        num_layers=2,
        num_levels=2,
        regression_ranges=[(0, 4), (4, 1000)],
    ),
    feature_extractor=dict(type='GridMotionExtractor', snippet_len=2, stride=1, out_channels=32),
)


def build_plugin(**model_changes):
    torch.manual_seed(0)
    cfg = copy.deepcopy(PLUGIN)
    for key, value in model_changes.items():
        cfg['model']['backbone'][key] = value
    return build_from(TASKS, cfg).eval()


def samples(batch=2):
    out = []
    for index in range(batch):
        sample = ActionDataSample()
        boxes = torch.tensor([[8.0, 8.0, 30.0, 36.0], [34.0, 20.0, 60.0, 50.0]])
        labels = torch.zeros(2, 9)
        labels[0, 1] = labels[0, 8] = labels[1, 4] = 1
        sample.gt_instances = InstanceData(bboxes=boxes, labels=labels)
        sample.proposals = InstanceData(bboxes=boxes + torch.tensor([1.0, -1.0, 1.0, 0.0]))
        sample.set_metainfo(
            dict(img_shape=(64, 64), video_id=f'v{index}', timestamp=902, fps=30, frame_interval=4)
        )
        out.append(sample)
    return out


def clip(batch=2, seed=0):
    return torch.randn(batch, 3, 8, 64, 64, generator=torch.Generator().manual_seed(seed))


def test_geometry_and_tap_shape():
    plugin = build_plugin()
    assert (plugin.embed_dim, plugin.num_layers, plugin.tap_layer) == (96, 4, 2)
    assert plugin.clip_shape == (8, 64, 64)
    # 4 tubelets of 2 frames x 4 x 4 patches of 16 pixels
    assert plugin.tap(clip()).shape == (2, 64, 96)


def test_split_encoder_equals_the_backbone_and_detector():
    plugin = build_plugin()
    inputs = clip()
    with torch.no_grad():
        state = plugin.run_layers(plugin.embed(inputs), 0, 2)
        state = plugin.run_layers(state, 2, 4)
        torch.testing.assert_close(plugin.feature_map(state), plugin.model.backbone(inputs))
        one = inputs[:1]
        mine = plugin.predict(plugin.run_layers(plugin.embed(one), 0, 4), samples(1))
        theirs = plugin.model.predict(one, samples(1))
    torch.testing.assert_close(mine[0].pred_instances.scores, theirs[0].pred_instances.scores)
    torch.testing.assert_close(mine[0].pred_instances.bboxes, theirs[0].pred_instances.bboxes)
    # boxes come back in [0, 1] as AVAMetric expects
    assert 0 <= mine[0].pred_instances.bboxes.min() <= mine[0].pred_instances.bboxes.max() <= 1


def test_other_input_sizes_interpolate_the_positions():
    plugin = build_plugin()
    inputs = torch.randn(1, 3, 8, 48, 80)
    with torch.no_grad():
        state = plugin.run_layers(plugin.embed(inputs), 0, 4)
        torch.testing.assert_close(plugin.feature_map(state), plugin.model.backbone(inputs))


def test_prompts_change_the_outputs_and_never_reach_the_head():
    plugin = build_plugin()
    seen = []
    plugin.model.roi_head.bbox_roi_extractor.register_forward_pre_hook(
        lambda m, args: seen.append(tuple(args[0].shape))
    )
    inputs, data_samples = clip(), samples()
    lower = plugin.run_layers(plugin.embed(inputs), 0, 2)
    plain = plugin.run_layers(lower, 2, 4)
    prompted = plugin.run_layers(lower, 2, 4, torch.randn(2, 6, 96))
    assert prompted.tokens.shape == (2, 70, 96)
    torch.manual_seed(1)
    loss_plain = plugin.loss(plain, data_samples)['loss_action_cls']
    torch.manual_seed(1)
    loss_prompted = plugin.loss(prompted, data_samples)['loss_action_cls']
    assert seen == [(2, 96, 4, 4, 4)] * 2  # the RoI head pools the clip's own map
    assert not torch.allclose(loss_plain, loss_prompted)
    # the samples' proposals are untouched (the RoI head renames boxes of its copies)
    assert all('bboxes' in s.proposals for s in data_samples)


def test_gradients_reach_the_prompts_only():
    plugin = build_plugin()
    for param in plugin.parameters():
        param.requires_grad_(False)
    prompts = torch.randn(2, 4, 96, requires_grad=True)
    with torch.no_grad():
        lower = plugin.run_layers(plugin.embed(clip()), 0, 2)
    plugin.loss(plugin.run_layers(lower, 2, 4, prompts), samples())['loss_action_cls'].backward()
    assert prompts.grad is not None and prompts.grad.abs().sum() > 0
    assert all(p.grad is None for p in plugin.parameters())


def test_views_and_shared_sample():
    plugin = build_plugin()
    frames = torch.rand(2, 20, 3, 40, 56)  # another task's clip: 20 frames of 56 x 40
    view = plugin.view(dict(frames=frames, fps=10.0))
    assert view.shape == (2, 3, 8, 64, 64)
    assert plugin.tap(view).shape == (2, 64, 96)
    back = plugin.shared_sample(view, samples())
    assert back['frames'].shape == (2, 8, 3, 64, 64) and back['fps'] == 7.5
    assert back['frames'].min() >= 0 and back['frames'].max() <= 1
    # a clip already at the ViT's geometry comes back as it went in
    torch.testing.assert_close(
        plugin.shared_sample(plugin.view(back), samples())['frames'], back['frames']
    )
    with pytest.raises(
        KeyError, match=r'SpatioTemporalDetectionTask sees another task through its "frames"'
    ):
        plugin.view(dict(features=torch.randn(2, 16, 30)))


def test_a_backbone_without_feature_map_is_refused():
    with pytest.raises(ValueError, match='return_feat_map=True'):
        build_plugin(return_feat_map=False, use_mean_pooling=True)


def test_dlm_with_ava_primary_and_a_thumos_auxiliary_seeing_its_frames():
    model = MODELS.build(
        toy_model(
            primary=PLUGIN,
            auxiliaries=dict(thumos=THUMOS),
        )
    )
    model.train()
    losses = model(clip(), samples(), mode='loss')
    losses['loss_action_cls'].backward()
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith('mapper.') for n in trainable)
    assert {n for n, p in model.named_parameters() if p.grad is not None} <= trainable
    taps = model.auxiliary_taps(clip(), samples())
    assert taps[0].shape == (2, 8, 32)  # 8 frames -> 7 snippets, padded to the stride 2
    model.eval()
    with torch.no_grad():
        out = model(clip(1), samples(1), mode='predict')
    assert out[0].pred_instances.scores.shape == (2, 9)

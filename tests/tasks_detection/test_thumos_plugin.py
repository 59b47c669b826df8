"""The THUMOS14 plugin's contract with the core: taps, prompts, gradients, views, masks."""

import pytest
import torch
from mmaction.structures import ActionDataSample
from mmengine.structures import InstanceData

from dlm_core.registry import MODELS, TASKS, build_from
from tests.helpers.tool_runs import toy_model

IN_CHANNELS = 24
DETECTOR = dict(
    type='TemporalActionDetector',
    in_channels=IN_CHANNELS,
    num_classes=3,
    embed_dims=32,
    num_layers=4,
    num_heads=4,
    mlp_ratio=2,
    dropout=0.0,
    num_levels=3,
    regression_ranges=[(0, 4), (4, 8), (8, 10000)],
)
EXTRACTOR = dict(type='GridMotionExtractor', snippet_len=4, stride=2, out_channels=IN_CHANNELS)
PLUGIN = dict(
    type='tasks_detection.TemporalDetectionTask', model=DETECTOR, feature_extractor=EXTRACTOR
)


def build_plugin(**kwargs):
    torch.manual_seed(0)
    return build_from(TASKS, dict(PLUGIN, **kwargs)).eval()


def samples(lengths=(37, 30)):
    out = []
    for index, length in enumerate(lengths):
        sample = ActionDataSample()
        sample.gt_instances = InstanceData(
            segments=torch.tensor([[3.0, 10.0], [length - 9.0, length - 2.0]]),
            labels=torch.tensor([1, 2]),
        )
        sample.set_metainfo(
            dict(video_id=f'v{index}', fps=10.0, feat_stride=2, num_frames=4, duration=length / 5)
        )
        out.append(sample)
    return out


def batch(plugin, lengths=(37, 30), seed=0):
    generator = torch.Generator().manual_seed(seed)
    features = [torch.randn(IN_CHANNELS, n, generator=generator) for n in lengths]
    data = plugin.data_preprocessor(dict(inputs=features, data_samples=samples(lengths)))
    return data['inputs'], data['data_samples']


def test_geometry_and_tap_shape():
    plugin = build_plugin()
    assert (plugin.embed_dim, plugin.num_layers, plugin.tap_layer) == (32, 4, 2)
    inputs, _ = batch(plugin)
    # 37 steps padded to a multiple of the coarsest stride (4): 40 tokens of width 32
    assert plugin.tap(inputs).shape == (2, 40, 32)


def test_prompts_change_the_outputs_and_never_reach_the_head():
    plugin = build_plugin()
    inputs, data_samples = batch(plugin)
    seen = []
    plugin.model.pyramid.register_forward_pre_hook(lambda m, args: seen.append(args[0].shape[1]))
    lower = plugin.run_layers(plugin.embed(inputs), 0, 2)
    plain = plugin.run_layers(lower, 2, 4)
    prompted = plugin.run_layers(lower, 2, 4, torch.randn(2, 5, 32))
    assert prompted.tokens.shape == (2, 45, 32) and prompted.num_prompts == 5
    loss_plain = plugin.loss(plain, data_samples)
    loss_prompted = plugin.loss(prompted, data_samples)
    assert seen == [40, 40]  # the pyramid (and the heads after it) see the 40 snippet tokens
    assert not torch.allclose(loss_plain['loss_cls'], loss_prompted['loss_cls'])
    assert not torch.allclose(plain.task_tokens, prompted.task_tokens)


def test_gradients_reach_the_prompts_only():
    plugin = build_plugin()
    for param in plugin.parameters():
        param.requires_grad_(False)
    inputs, data_samples = batch(plugin)
    prompts = torch.randn(2, 4, 32, requires_grad=True)
    with torch.no_grad():
        lower = plugin.run_layers(plugin.embed(inputs), 0, 2)
    state = plugin.run_layers(lower, 2, 4, prompts)
    sum(plugin.loss(state, data_samples).values()).backward()
    assert prompts.grad is not None and prompts.grad.abs().sum() > 0
    assert all(p.grad is None for p in plugin.parameters())


def test_padding_never_changes_a_video():
    plugin = build_plugin()
    alone_inputs, alone_samples = batch(plugin, lengths=(30,), seed=3)
    both_inputs, both_samples = batch(plugin, lengths=(30, 53), seed=3)
    both_inputs['features'][0] = 0
    both_inputs['features'][0, :, :30] = alone_inputs['features'][0, :, :30]
    with torch.no_grad():
        alone = plugin.run_layers(plugin.embed(alone_inputs), 0, 4)
        both = plugin.run_layers(plugin.embed(both_inputs), 0, 4)
        torch.testing.assert_close(both.tokens[0, :30], alone.tokens[0, :30])
        pred_alone = plugin.predict(alone, alone_samples)[0].pred_instances
        pred_both = plugin.predict(both, both_samples)[0].pred_instances
    torch.testing.assert_close(pred_both.segments, pred_alone.segments)
    torch.testing.assert_close(pred_both.scores, pred_alone.scores)


def test_predictions_are_segments_in_seconds_within_the_video():
    plugin = build_plugin()
    inputs, data_samples = batch(plugin)
    with torch.no_grad():
        out = plugin.predict(plugin.run_layers(plugin.embed(inputs), 0, 4), data_samples)
    for sample in out:
        pred = sample.pred_instances
        assert pred.segments.shape[1] == 2 and len(pred.scores) == len(pred.labels) <= 200
        assert (pred.segments[:, 0] >= 0).all()
        assert (pred.segments[:, 1] <= sample.duration).all()
        assert (pred.segments[:, 1] > pred.segments[:, 0]).all()
        assert (pred.scores[:-1] >= pred.scores[1:]).all()


def test_views_from_features_from_frames_and_the_error():
    plugin = build_plugin()
    features = torch.randn(2, IN_CHANNELS, 11)
    assert plugin.view(dict(features=features))['features'] is features
    frames = torch.rand(2, 16, 3, 40, 48)  # e.g. a recognition clip: 16 frames
    view = plugin.view(dict(frames=frames, features=torch.randn(2, 7, 16)))
    assert view['features'].shape == (2, IN_CHANNELS, 7)  # (16 - 4) // 2 + 1 snippets
    assert plugin.tap(view).shape == (2, 8, 32)
    with pytest.raises(KeyError, match=r'features of width 24.*has features of width 7'):
        build_plugin(feature_extractor=None).view(dict(features=torch.randn(2, 7, 5)))
    with pytest.raises(KeyError, match=r'"frames".*no features and keys.*fps'):
        plugin.view(dict(fps=5.0))


def test_shared_sample_describes_the_batch():
    plugin = build_plugin()
    inputs, data_samples = batch(plugin)
    sample = plugin.shared_sample(inputs, data_samples)
    assert sample['features'].shape == (2, IN_CHANNELS, 37)
    assert sample['masks'].sum(dim=1).tolist() == [37, 30]
    assert sample['fps'] == 5.0  # 10 fps video, one snippet every 2 frames


def test_as_primary_of_a_dlm_model_only_the_mapper_learns():
    aux = dict(PLUGIN, model=dict(DETECTOR, embed_dims=48, num_layers=2))
    model = MODELS.build(
        toy_model(
            primary=PLUGIN,
            auxiliaries=dict(other=aux),
        )
    )
    model.train()
    inputs, data_samples = batch(model.primary)
    losses = model(inputs, data_samples, mode='loss')
    sum(losses.values()).backward()
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith('mapper.') for n in trainable)
    with_grad = {n for n, p in model.named_parameters() if p.grad is not None}
    assert with_grad <= trainable and any('prompts' in n for n in with_grad)
    model.eval()
    with torch.no_grad():
        out = model(inputs, samples(), mode='predict')
    assert len(out) == 2 and out[0].pred_instances.segments.ndim == 2


def test_video_auxiliary_sees_the_untrimmed_video_through_its_frames():
    from mmengine.config import Config

    ava = Config.fromfile('configs/tasks/ava_demo.py').model.to_dict()
    model = MODELS.build(
        toy_model(
            primary=PLUGIN,
            auxiliaries=dict(
                ava=dict(type='tasks_detection.SpatioTemporalDetectionTask', model=ava)
            ),
        )
    )
    generator = torch.Generator().manual_seed(0)
    items = [
        dict(
            features=torch.randn(IN_CHANNELS, n, generator=generator),
            frames=torch.randint(0, 255, (n, 3, 32, 32), dtype=torch.uint8, generator=generator),
        )
        for n in (37, 30)
    ]
    data = model.data_preprocessor(dict(inputs=items, data_samples=samples()))
    taps = model.auxiliary_taps(data['inputs'], data['data_samples'])
    assert taps[0].shape == (2, 64, 96)  # the AVA ViT's 4 x 4 x 4 tokens
    model.train()
    losses = model(data['inputs'], data['data_samples'], mode='loss')
    sum(losses.values()).backward()
    assert all(n.startswith('mapper.') for n, p in model.named_parameters() if p.grad is not None)
    with pytest.raises(KeyError, match=r'SpatioTemporalDetectionTask sees .*"frames"'):
        model(dict(features=data['inputs']['features']), data['data_samples'], mode='loss')

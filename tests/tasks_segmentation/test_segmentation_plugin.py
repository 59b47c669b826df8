"""ActionSegmentationTask: the plugin contract the core relies on, and a DLM step with it."""

import pytest
import torch
from mmengine.structures import BaseDataElement

import tasks_segmentation  # noqa: F401
from dlm_core.registry import MODELS as DLM_MODELS
from dlm_core.registry import TASKS, build_from
from tests.helpers import toy_task  # noqa: F401  (registers the toy plugin)
from tests.helpers.tool_runs import toy_model

IN_CHANNELS, NUM_CLASSES = 64, 6
SEGMENTOR = dict(
    type='ActionSegmentor',
    backbone=dict(
        type='ASFormer',
        in_channels=IN_CHANNELS,
        num_classes=NUM_CLASSES,
        embed_dims=16,
        num_layers=4,
        num_decoders=2,
    ),
)
PLUGIN = dict(type='tasks_segmentation.ActionSegmentationTask', model=SEGMENTOR)


def build_plugin(**kwargs):
    torch.manual_seed(0)
    return build_from(TASKS, dict(PLUGIN, **kwargs)).eval()


def make_batch(plugin, lengths=(30, 17, 24), seed=0, frames=True):
    generator = torch.Generator().manual_seed(seed)
    features = [torch.randn(IN_CHANNELS, n, generator=generator) for n in lengths]
    samples = []
    for n in lengths:
        sample = BaseDataElement(metainfo=dict(sample_rate=1, clip_fps=2.0))
        sample.gt_labels = torch.randint(NUM_CLASSES, (n,), generator=generator)
        samples.append(sample)
    inputs = dict(features=features)
    if frames:
        inputs['frames'] = [
            torch.randint(0, 256, (8, 3, 32, 32), dtype=torch.uint8, generator=generator)
            for _ in lengths
        ]
    data = plugin.data_preprocessor(dict(inputs=inputs, data_samples=samples))
    return data['inputs'], data['data_samples']


def freeze(module):
    for p in module.parameters():
        p.requires_grad_(False)


def test_geometry_and_tap_shape():
    plugin = build_plugin()
    assert (plugin.embed_dim, plugin.num_layers, plugin.tap_layer, plugin.prompt_layer) == (
        16,
        4,
        2,
        2,
    )
    assert plugin.injection == 'prefix'
    inputs, _ = make_batch(plugin)
    assert plugin.tap(inputs).shape == (3, 30, 16)  # (B, N = padded frames, D)


def test_tap_runs_only_the_lower_half():
    plugin = build_plugin()
    calls = []
    for index, block in enumerate(plugin.backbone.encoder.blocks):
        block.register_forward_hook(lambda m, i, o, index=index: calls.append(index))
    decoder_calls = []
    plugin.backbone.decoders[0].register_forward_hook(lambda *a: decoder_calls.append(1))
    plugin.tap(make_batch(plugin)[0])
    assert calls == [0, 1] and not decoder_calls


def test_layers_in_pieces_equal_the_plain_model():
    plugin = build_plugin()
    inputs, samples = make_batch(plugin)
    state = plugin.run_layers(plugin.embed(inputs), 0, 2)
    state = plugin.run_layers(state, 2, plugin.num_layers)
    pieces = plugin.predict(state, samples)
    whole = plugin.model(inputs, [s.clone() for s in samples], mode='predict')
    for a, b in zip(pieces, whole):
        assert torch.equal(a.pred_labels, b.pred_labels)
    logits = plugin.model(inputs, mode='tensor')
    torch.testing.assert_close(plugin._stage_logits(state), logits)


def test_prefix_prompts_change_outputs_and_only_prompts_get_gradients():
    plugin = build_plugin()
    freeze(plugin)
    inputs, samples = make_batch(plugin)
    lower = plugin.run_layers(plugin.embed(inputs), 0, plugin.prompt_layer)
    prompts = torch.randn(3, 5, plugin.embed_dim, requires_grad=True)
    prompted = plugin.run_layers(lower, plugin.prompt_layer, plugin.num_layers, prompts)
    plain = plugin.run_layers(lower, plugin.prompt_layer, plugin.num_layers)
    assert not torch.allclose(prompted.tokens, plain.tokens)
    # the padded frames stay zero and the lower layers did not see the prompts
    assert torch.all(prompted.tokens[1, 17:] == 0)
    loss = sum(plugin.loss(prompted, samples).values())
    loss.backward()
    assert prompts.grad is not None and prompts.grad.abs().sum() > 0
    assert all(p.grad is None for p in plugin.parameters())


def test_prompts_never_reach_the_head():
    plugin = build_plugin()
    inputs, samples = make_batch(plugin)
    seen = []
    original = plugin.backbone.forward_head
    plugin.backbone.forward_head = lambda feature, mask: (
        seen.append(feature.shape) or original(feature, mask)
    )
    lower = plugin.run_layers(plugin.embed(inputs), 0, plugin.prompt_layer)
    state = plugin.run_layers(lower, plugin.prompt_layer, plugin.num_layers, torch.randn(3, 7, 16))
    assert state.num_prompts == 0 and plugin.tokens(state).shape == (3, 30, 16)
    plugin.loss(state, samples)
    plugin.predict(state, samples)
    assert seen == [torch.Size([3, 16, 30])] * 2  # frames only, never 30 + 7 tokens
    # and the head's input is a function of the frames: the head has no prompt input at all
    assert set(state.extras) == {'masks', 'prompts'}


def test_prompts_of_the_wrong_shape_are_an_error():
    plugin = build_plugin()
    state = plugin.embed(make_batch(plugin)[0])
    with pytest.raises(ValueError, match=r'expected \(B=3, M, D=16\)'):
        plugin.run_layers(state, 2, 4, torch.randn(3, 5, 8))


def test_auxiliary_view_runs_the_extractor_on_frames():
    plugin = build_plugin()
    inputs, samples = make_batch(plugin)
    sample = plugin.shared_sample(inputs, samples)
    assert sample['frames'].shape == (3, 8, 3, 32, 32) and sample['fps'] == 2.0
    view = plugin.view(sample)
    assert view['features'].shape == (3, IN_CHANNELS, 8)
    assert plugin.tap(view).shape == (3, 8, 16)
    with pytest.raises(KeyError, match='sees another task through its "frames"'):
        plugin.view(dict(features=torch.randn(3, IN_CHANNELS, 5)))
    wrong = build_plugin(model=dict(SEGMENTOR, backbone=dict(SEGMENTOR['backbone'], in_channels=8)))
    with pytest.raises(ValueError, match='reads 8-d features but its view_extractor'):
        wrong.view(sample)


def test_as_the_primary_of_a_dlm_model():
    model = DLM_MODELS.build(
        toy_model(
            primary=PLUGIN,
            auxiliaries=dict(toy=dict(type='ToyTask', in_dim=16, dim=24, depth=2)),
        )
    )
    data = model.data_preprocessor(
        dict(
            inputs=dict(features=[torch.randn(IN_CHANNELS, n) for n in (20, 12)]),
            data_samples=[
                BaseDataElement(gt_labels=torch.randint(NUM_CLASSES, (n,)), metainfo={})
                for n in (20, 12)
            ],
        )
    )
    model.train()
    losses = model(**data, mode='loss')
    sum(losses.values()).backward()
    trained = {n for n, p in model.named_parameters() if p.grad is not None}
    assert trained and all(n.startswith('mapper.') for n in trained)
    model.eval()
    predictions = model(**data, mode='predict')  # static: the prompt moving average
    assert [len(p.pred_labels) for p in predictions] == [20, 12]


def test_as_an_auxiliary_reading_shared_features():
    model = DLM_MODELS.build(
        toy_model(
            primary=dict(type='ToyTask', in_dim=16, dim=32, depth=2),
            auxiliaries=dict(
                seg=dict(
                    PLUGIN,
                    use_shared_features=True,
                    model=dict(SEGMENTOR, backbone=dict(SEGMENTOR['backbone'], in_channels=16)),
                )
            ),
        )
    )
    taps = model.auxiliary_taps(torch.randn(2, 10, 16), None)
    assert [t.shape for t in taps] == [torch.Size([2, 10, 16])]


def test_checkpoint_of_the_single_task_model_loads_strictly(tmp_path):
    source = build_plugin()
    torch.nn.init.constant_(source.backbone.encoder.classifier.bias, 0.5)
    path = tmp_path / 'asformer.pth'
    torch.save({'state_dict': source.model.state_dict()}, path)
    plugin = build_plugin(checkpoint=str(path))
    plugin.load_checkpoint()
    assert torch.equal(
        plugin.backbone.encoder.classifier.bias, source.backbone.encoder.classifier.bias
    )

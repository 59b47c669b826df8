"""VideoInstanceSegmentationTask: the plugin contract on mmdet's own Mask2FormerVideo."""

import pytest
import torch
from mmdet.evaluation.metrics import YouTubeVISMetric
from mmdet.models.vis import Mask2FormerVideo
from mmdet.structures import TrackDataSample
from mmengine.evaluator import Evaluator

from dlm_core.registry import MODELS
from tasks_segmentation.evaluation.youtube_vis_metric import RepeatableYouTubeVISMetric
from tasks_segmentation.plugins.video_instance_segmentation import VideoInstanceSegmentationTask
from tests.helpers.plugin_states import full_state
from tests.helpers.vis import PLUGIN, batch, build_plugin, dataset, demo_set, model_config

DIMS, LAYERS, QUERIES = 64, 6, 20  # the demo config's decoder


@pytest.fixture(scope='module')
def root():
    return demo_set()


def test_geometry_is_read_off_the_mmdet_model():
    plugin = build_plugin()
    assert isinstance(plugin, VideoInstanceSegmentationTask)
    assert type(plugin.model) is Mask2FormerVideo
    assert (plugin.embed_dim, plugin.num_layers, plugin.tap_layer) == (DIMS, LAYERS, LAYERS // 2)
    assert plugin.injection == 'prepend'
    assert plugin.data_preprocessor is plugin.model.data_preprocessor
    head = plugin.model.track_head
    assert plugin.head_modules() == [
        head.transformer_decoder.post_norm,
        head.cls_embed,
        head.mask_embed,
    ]


def test_a_model_that_is_not_mask2former_vis_is_an_error():
    with pytest.raises(TypeError, match='must be an mmdet Mask2FormerVideo'):
        VideoInstanceSegmentationTask(model=dict(type='ResNet', depth=18))


def test_without_prompts_the_plugin_predicts_what_mmdet_predicts(root):
    plugin = build_plugin()
    inputs, samples = batch(plugin, root, indices=(0,), split='valid')
    _, reference_samples = batch(plugin, root, indices=(0,), split='valid')
    with torch.no_grad():
        reference = plugin.model.predict(inputs, reference_samples)
        mine = plugin.predict(full_state(plugin, inputs), samples)
    assert isinstance(mine[0], TrackDataSample)
    frames = mine[0].video_data_samples
    assert len(frames) == inputs.shape[1] == len(reference[0].video_data_samples)
    for a, b in zip(reference[0].video_data_samples, frames):
        a, b = a.pred_track_instances, b.pred_track_instances
        assert torch.equal(a.masks, b.masks)
        assert torch.equal(a.scores, b.scores)
        assert torch.equal(a.labels, b.labels)


def test_without_prompts_the_plugin_loss_is_mmdets_loss(root):
    plugin = build_plugin()
    plugin.train()
    inputs, samples = batch(plugin, root)
    _, reference_samples = batch(plugin, root)
    torch.manual_seed(3)  # the head samples mask points at random
    reference = plugin.model.loss(inputs, reference_samples)
    torch.manual_seed(3)
    mine = plugin.loss(full_state(plugin, inputs), samples)
    assert set(mine) == set(reference) and len(mine) == 3 * (LAYERS + 1)
    for key in reference:
        torch.testing.assert_close(mine[key], reference[key])


def test_videos_of_a_batch_do_not_see_each_other(root):
    plugin = build_plugin()
    inputs, _ = batch(plugin, root, indices=(0, 1))
    with torch.no_grad():
        together = full_state(plugin, inputs)
        alone = [full_state(plugin, inputs[i : i + 1]) for i in range(2)]
    for index, state in enumerate(alone):
        torch.testing.assert_close(together.tokens[index], state.tokens[0])
        torch.testing.assert_close(
            together.extras['mask_preds'][-1][index], state.extras['mask_preds'][-1][0]
        )


def test_tap_is_the_queries_after_the_middle_layer_and_runs_no_upper_layer():
    plugin = build_plugin()
    ran = []
    for index, layer in enumerate(plugin.model.track_head.transformer_decoder.layers):
        layer.register_forward_hook(lambda m, i, o, index=index: ran.append(index))
    frames = torch.rand(2, 3, 3, 64, 80)
    with torch.no_grad():
        tap = plugin.tap(plugin.view(dict(frames=frames)))
    assert tap.shape == (2, QUERIES, DIMS)
    assert ran == list(range(LAYERS // 2))


def test_prompts_join_the_queries_change_the_output_and_never_reach_the_head(root):
    plugin = build_plugin()
    inputs, samples = batch(plugin, root)
    seen = []
    head = plugin.model.track_head
    for module in (head.cls_embed, head.mask_embed, head.transformer_decoder.post_norm):
        module.register_forward_pre_hook(lambda m, args: seen.append(args[0].shape[1]))
    prompts = torch.randn(2, 5, DIMS)
    with torch.no_grad():
        plain = full_state(plugin, inputs)
        prompted = full_state(plugin, inputs, prompts)
    assert plugin.tokens(prompted).shape == (2, 5 + QUERIES, DIMS)
    assert prompted.num_prompts == 5
    assert set(seen) == {QUERIES}  # every prediction (each layer) read the task queries only
    # the lower half is the same, the upper half changed
    middle = LAYERS // 2
    for a, b in zip(plain.extras['cls_preds'][: middle + 1], prompted.extras['cls_preds']):
        assert torch.equal(a, b)
    assert not torch.allclose(plain.extras['cls_preds'][-1], prompted.extras['cls_preds'][-1])
    assert not torch.allclose(plain.extras['mask_preds'][-1], prompted.extras['mask_preds'][-1])


def test_layers_must_run_in_order_and_heads_need_all_layers(root):
    plugin = build_plugin()
    inputs, samples = batch(plugin, root)
    with torch.no_grad():
        state = plugin.run_layers(plugin.embed(inputs), 0, 2)
        with pytest.raises(ValueError, match='passed 2 decoder layers, so run_layers must start'):
            plugin.run_layers(state, 3, LAYERS)
        with pytest.raises(ValueError, match='needs all 6 decoder layers'):
            plugin.loss(state, samples)


def dlm_model(mapper, **kwargs):
    """VIS prompted by a shallower VIS model (4 layers, 12 queries) of the same width."""
    torch.manual_seed(0)
    cfg = dict(
        type='MultiTaskPromptModel',
        primary=dict(type=PLUGIN, model=model_config()),
        auxiliaries=dict(vis=dict(type=PLUGIN, model=model_config(num_layers=4, num_queries=12))),
        mapper=mapper,
    )
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_gradients_reach_the_mapper_only(root):
    model = dlm_model(
        dict(type='DoubleLayerMapper', num_prompts=4, reduction=4, adapter_reduction=4)
    ).train()
    inputs, samples = batch(model.primary, root)
    losses = model(inputs, samples, mode='loss')
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith('mapper.') for n in trainable)
    with_grad = {n for n, p in model.named_parameters() if p.grad is not None and p.grad.any()}
    assert with_grad <= trainable
    # the zero-initialised adapter up-projection blocks the gradient of what lies below it
    # in the adapter (norm, down-projection) on the first step; everything else gets one
    assert {n for n in trainable if '.adapters.' not in n or '.up.' in n} <= with_grad
    assert all(p.grad is None for n, p in model.named_parameters() if n not in trainable)
    for plugin in [model.primary, *model.auxiliaries.values()]:
        assert not any(m.training for m in plugin.modules())


def test_static_prompts_receive_gradients_through_the_upper_decoder(root):
    model = dlm_model(dict(type='StaticPrompts', num_prompts=4), auxiliaries=None).train()
    inputs, samples = batch(model.primary, root)
    losses = model(inputs, samples, mode='loss')
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert model.mapper.prompts.grad is not None and model.mapper.prompts.grad.abs().sum() > 0


def test_dlm_predictions_feed_mmdets_youtube_vis_metric_round_after_round(root):
    model = dlm_model(dict(type='DoubleLayerMapper', num_prompts=4, reduction=4)).train()
    inputs, samples = batch(model.primary, root)
    model(inputs, samples, mode='loss')  # one batch of prompts for the moving average
    model.eval()
    meta = dataset(root, 'valid').metainfo

    def evaluate_rounds(metric, rounds=2):
        evaluator = Evaluator(metric)
        evaluator.dataset_meta = meta
        results = []
        for _ in range(rounds):
            for index in range(2):
                inputs, samples = batch(model.primary, root, indices=(index,), split='valid')
                with torch.no_grad():
                    evaluator.process(model(inputs, samples, mode='predict'))
            results.append(evaluator.evaluate(2))
        return results

    first, second = evaluate_rounds(RepeatableYouTubeVISMetric())
    assert {'youtube_vis/segm_mAP', 'youtube_vis/segm_mAP_50', 'youtube_vis/segm_mAP_75'} <= set(
        first
    )
    assert first == second
    # why the subclass exists: mmdet's own metric cannot run a second validation round
    with pytest.raises(KeyError, match='images'):
        evaluate_rounds(YouTubeVISMetric())


def test_view_without_frames_names_the_missing_key():
    plugin = build_plugin()
    with pytest.raises(KeyError, match='VideoInstanceSegmentationTask sees another task through'):
        plugin.view(dict(features=torch.randn(2, 16, 8)))
    with pytest.raises(ValueError, match=r'"frames" must be \(B, T, 3, H, W\)'):
        plugin.view(dict(frames=torch.rand(2, 3, 32, 32)))


def test_view_normalises_pads_and_shared_sample_undoes_it():
    plugin = build_plugin()
    frames = torch.rand(2, 4, 3, 64, 64)
    inputs = plugin.view(dict(frames=frames))
    mean = plugin.model.data_preprocessor.mean
    std = plugin.model.data_preprocessor.std
    torch.testing.assert_close(inputs, (frames * 255 - mean) / std)
    torch.testing.assert_close(plugin.shared_sample(inputs, None)['frames'], frames)
    resized = build_plugin(view_size=(40, 50), view_frames=3).view(dict(frames=frames))
    assert resized.shape == (2, 3, 3, 64, 64)  # 40x50 padded to multiples of 32
    assert torch.all(resized[..., 40:, :] == 0) and torch.all(resized[..., 50:] == 0)


def test_shared_sample_of_a_demo_batch_is_rgb_in_unit_range_without_padding(root):
    plugin = build_plugin()
    inputs, samples = batch(plugin, root)
    frames = plugin.shared_sample(inputs, samples)['frames']
    height, width = samples[0][0].metainfo['img_shape']
    assert frames.shape == (2, 2, 3, height, width)
    assert frames.min() >= 0 and frames.max() <= 1

"""The video object detection plugin keeps the task-plugin contract (dlm_core README)."""

import os.path as osp

import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.config import Config
from mmengine.structures import InstanceData

from dlm_core.registry import MODELS as DLM_MODELS
from dlm_core.registry import TASKS, build_from
from tests.helpers.paths import ROOT

DEMO_CONFIG = osp.join(ROOT, 'configs', 'tasks', 'imagenet_vid_demo.py')
PLUGIN = 'tasks_detection.VideoObjectDetectionTask'
BATCH, FRAMES, SIZE = 2, 3, 64


@pytest.fixture(scope='module')
def plugin():
    torch.manual_seed(0)
    cfg = Config.fromfile(DEMO_CONFIG)
    task = build_from(TASKS, dict(type=PLUGIN, model=cfg.model.to_dict(), view_size=(SIZE, SIZE)))
    task.init_weights()
    return task.eval()


def clip_samples():
    """Two clips of three frames, the middle one the key frame, one or two digits each."""
    samples = []
    for clip in range(BATCH):
        frames = []
        for frame in range(FRAMES):
            shape = (SIZE, SIZE)
            sample = DetDataSample(
                metainfo=dict(
                    img_shape=shape,
                    ori_shape=shape,
                    batch_input_shape=shape,
                    scale_factor=(1.0, 1.0),
                    img_id=clip * FRAMES + frame,
                )
            )
            boxes = torch.tensor([[10.0, 12.0, 30.0, 36.0], [34.0, 8.0, 60.0, 40.0]])[: clip + 1]
            sample.gt_instances = InstanceData(
                bboxes=boxes + frame, labels=torch.tensor([3, 7])[: clip + 1]
            )
            frames.append(sample)
        track = TrackDataSample()
        track.video_data_samples = frames
        track.set_metainfo(dict(key_frames_inds=[1], ref_frames_inds=[0, 2]))
        samples.append(track)
    return samples


def clip_inputs(plugin, seed=0):
    frames = torch.rand(BATCH, 5, 3, 48, 40, generator=torch.Generator().manual_seed(seed))
    return plugin.view(dict(frames=frames))


def test_geometry_and_injection(plugin):
    assert plugin.injection == 'prefix'
    assert (plugin.embed_dim, plugin.num_layers, plugin.tap_layer) == (64, 4, 2)


def test_view_makes_key_plus_reference_clips_and_the_tap_is_b_n_d(plugin):
    inputs = clip_inputs(plugin)
    assert inputs.shape == (BATCH, FRAMES, 3, SIZE, SIZE)
    with torch.no_grad():
        tokens = plugin.tap(inputs)
    num_queries = plugin.model.detector.num_queries
    assert tokens.shape == (BATCH, FRAMES * num_queries, plugin.embed_dim)


def test_view_without_frames_names_the_missing_key(plugin):
    with pytest.raises(KeyError, match='"frames"'):
        plugin.view(dict(features=torch.zeros(1, 8, 4)))


def test_shared_sample_round_trips_through_the_view(plugin):
    frames = torch.rand(BATCH, FRAMES, 3, SIZE, SIZE)
    inputs = plugin.view(dict(frames=frames))
    back = plugin.shared_sample(inputs, clip_samples())['frames']
    assert torch.allclose(back, frames, atol=1e-5)


def test_the_plugin_path_is_the_models_own_forward(plugin):
    inputs, samples = clip_inputs(plugin), clip_samples()
    with torch.no_grad():
        own = plugin.model(inputs, samples, mode='loss')
        state = plugin.run_layers(plugin.embed(inputs), 0, plugin.num_layers)
        via_plugin = plugin.loss(state, clip_samples())
    assert set(own) == set(via_plugin) and any(k.startswith('temporal.') for k in own)
    for key in own:
        assert torch.allclose(own[key], via_plugin[key], atol=1e-5), key


def test_prompts_change_the_outputs_but_never_reach_the_head(plugin):
    inputs, middle = clip_inputs(plugin), plugin.prompt_layer
    prompts = torch.randn(BATCH, 8, plugin.embed_dim)
    seen = []
    hook = plugin.model.temporal_head.register_forward_pre_hook(
        lambda module, args: seen.append(args[0].shape)
    )
    try:
        with torch.no_grad():
            lower = plugin.run_layers(plugin.embed(inputs), 0, middle)
            plain = plugin.run_layers(lower, middle, plugin.num_layers)
            prompted = plugin.run_layers(lower, middle, plugin.num_layers, prompts)
            loss_plain = plugin.loss(plain, clip_samples())
            loss_prompted = plugin.loss(prompted, clip_samples())
    finally:
        hook.remove()
    assert plain.tokens.shape == prompted.tokens.shape  # prefix: no prompt rows
    assert prompted.num_prompts == 0
    assert not torch.allclose(plain.tokens, prompted.tokens)
    assert not torch.allclose(loss_plain['temporal.loss_cls'], loss_prompted['temporal.loss_cls'])
    num_queries = plugin.model.detector.num_queries
    assert seen and all(shape[-2] == num_queries for shape in seen)  # the task's queries only


def test_gradients_reach_the_prompts_only(plugin):
    for param in plugin.parameters():
        param.requires_grad_(False)
        param.grad = None
    inputs, middle = clip_inputs(plugin), plugin.prompt_layer
    prompts = torch.randn(BATCH, 8, plugin.embed_dim, requires_grad=True)
    with torch.no_grad():
        lower = plugin.run_layers(plugin.embed(inputs), 0, middle)
    state = plugin.run_layers(lower, middle, plugin.num_layers, prompts)
    losses = plugin.loss(state, clip_samples())
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert prompts.grad is not None and prompts.grad.abs().sum() > 0
    assert torch.isfinite(prompts.grad).all()
    assert all(param.grad is None for param in plugin.parameters())


def test_layers_must_run_in_order(plugin):
    with torch.no_grad():
        state = plugin.embed(clip_inputs(plugin))
        with pytest.raises(ValueError, match='must start there'):
            plugin.run_layers(state, 1, 2)
        with pytest.raises(ValueError, match='needs all 4 decoder layers'):
            plugin.loss(plugin.run_layers(state, 0, 2), clip_samples())


def test_predict_gives_key_frame_boxes_in_image_coordinates(plugin):
    inputs = clip_inputs(plugin)
    with torch.no_grad():
        state = plugin.run_layers(plugin.embed(inputs), 0, plugin.num_layers)
        results = plugin.predict(state, clip_samples())
    assert len(results) == BATCH
    for result in results:
        (frame,) = result.video_data_samples  # the key frame only, as CocoVideoMetric reads
        boxes = frame.pred_instances.bboxes
        assert boxes.shape[1] == 4 and len(boxes) == plugin.model.detector.test_cfg.max_per_img
        assert (boxes >= 0).all() and (boxes <= SIZE).all()


def test_a_dlm_model_with_this_primary_trains_the_mapper_only():
    """VOD prompted by a shallower VOD model (2 decoder layers, 10 queries) through the
    double-layer mapper: the core's path end to end, gradients in the mapper only."""
    torch.manual_seed(0)
    model_cfg = Config.fromfile(DEMO_CONFIG).model.to_dict()
    aux_cfg = Config.fromfile(DEMO_CONFIG).model.to_dict()
    aux_cfg['detector']['decoder']['num_layers'] = 2
    aux_cfg['detector']['num_queries'] = 10
    model = DLM_MODELS.build(
        dict(
            type='MultiTaskPromptModel',
            primary=dict(type=PLUGIN, model=model_cfg),
            auxiliaries=dict(vod=dict(type=PLUGIN, model=aux_cfg)),
            mapper=dict(type='DoubleLayerMapper', num_prompts=4, reduction=4, adapter_reduction=4),
        )
    ).train()
    for plugin in (model.primary, model.auxiliaries['vod']):  # no checkpoints: Deformable
        plugin.task_model.init_weights()  # DETR's level embedding is created uninitialised
    inputs = model.primary.view(dict(frames=torch.rand(BATCH, FRAMES, 3, SIZE, SIZE)))
    losses = model(inputs, clip_samples(), mode='loss')
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith('mapper.') for n in trainable)
    assert all(p.grad is None for n, p in model.named_parameters() if n not in trainable)
    assert any(p.grad is not None and p.grad.any() for n, p in model.named_parameters())
    model.eval()
    with torch.no_grad():
        (result, *_) = model(inputs, clip_samples(), mode='predict')
    assert len(result.video_data_samples) == 1 and 'pred_instances' in result.video_data_samples[0]

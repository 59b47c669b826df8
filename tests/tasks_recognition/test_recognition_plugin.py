"""ActionRecognitionTask: the plugin contract on mmaction2's own Recognizer3D + ViT."""

import copy

import pytest
import torch
from mmaction.structures import ActionDataSample
from mmengine.config import Config

import tasks_recognition  # noqa: F401  (its registries reach the plugin)
from dlm_core.registry import MODELS, TASKS, build_from
from tasks_recognition.plugins import ActionRecognitionTask
from tests.helpers.plugin_states import full_state

DEMO_CONFIG = 'configs/tasks/ssv2_demo.py'
NUM_FRAMES, SIZE, PATCH, WIDTH, DEPTH, CLASSES = 8, 32, 8, 48, 4, 5
NUM_TOKENS = NUM_FRAMES // 2 * (SIZE // PATCH) ** 2


def model_config(width=WIDTH, depth=DEPTH, num_classes=CLASSES, frames=NUM_FRAMES):
    """The demo config's recognizer, made smaller for fast tests."""
    model = copy.deepcopy(Config.fromfile(DEMO_CONFIG).model.to_dict())
    model['backbone'].update(embed_dims=width, depth=depth, num_frames=frames, img_size=SIZE)
    model['cls_head'].update(in_channels=width, num_classes=num_classes)
    return model


def build_plugin(seed=0, **kwargs):
    torch.manual_seed(seed)
    cfg = dict(type='tasks_recognition.ActionRecognitionTask', model=model_config(**kwargs))
    return build_from(TASKS, cfg).eval()


def batch(size=2, views=1, seed=0):
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(size, views, 3, NUM_FRAMES, SIZE, SIZE, generator=generator)
    samples = [ActionDataSample().set_gt_label(i % CLASSES) for i in range(size)]
    return inputs, samples


def test_geometry_is_read_off_the_mmaction_model():
    plugin = build_plugin()
    assert isinstance(plugin, ActionRecognitionTask)
    assert type(plugin.model).__module__.startswith('mmaction.')
    assert type(plugin.model.backbone).__module__ == 'mmaction.models.backbones.vit_mae'
    assert (plugin.embed_dim, plugin.num_layers, plugin.tap_layer) == (WIDTH, DEPTH, DEPTH // 2)
    assert (plugin.num_frames, plugin.img_size, plugin.tubelet_size) == (NUM_FRAMES, SIZE, 2)
    assert plugin.injection == 'prepend'
    assert plugin.data_preprocessor is plugin.model.data_preprocessor
    assert plugin.head_modules() == [plugin.model.cls_head]


def test_without_prompts_the_plugin_is_the_recognizer():
    plugin = build_plugin()
    inputs, samples = batch(size=2, views=2)
    with torch.no_grad():
        reference = plugin.model(inputs, copy.deepcopy(samples), mode='predict')
        mine = plugin.predict(full_state(plugin, inputs), copy.deepcopy(samples))
        # another frame size: the backbone's resized position table
        other = torch.randn(2, 1, 3, NUM_FRAMES, 48, 40)
        features, _ = plugin.features(full_state(plugin, other))
        torch.testing.assert_close(features, plugin.model(other, mode='tensor'))
    for a, b in zip(reference, mine):
        torch.testing.assert_close(a.pred_score, b.pred_score)


def test_tap_runs_the_lower_half_only_and_has_the_token_shape():
    plugin = build_plugin()
    ran = []
    for index, block in enumerate(plugin.backbone.blocks):
        block.register_forward_hook(lambda m, i, o, index=index: ran.append(index))
    taps = plugin.tap(batch(size=3)[0])
    assert taps.shape == (3, NUM_TOKENS, WIDTH)
    assert ran == list(range(DEPTH // 2))


def test_prompts_join_from_the_middle_change_outputs_and_never_reach_the_head():
    plugin = build_plugin()
    inputs, samples = batch()
    head_inputs = []
    plugin.backbone.norm.register_forward_hook(lambda m, i, o: head_inputs.append(i[0].shape))
    prompts = torch.randn(2, 6, WIDTH)
    with torch.no_grad():
        plain = full_state(plugin, inputs)
        prompted = full_state(plugin, inputs, prompts)
        plain_scores = plugin.predict(plain, copy.deepcopy(samples))
        prompted_scores = plugin.predict(prompted, copy.deepcopy(samples))
    assert plugin.tokens(prompted).shape == (2, 6 + NUM_TOKENS, WIDTH)
    assert prompted.num_prompts == 6
    # the head pooled the task's own tokens only, both times
    assert head_inputs == [(2, NUM_TOKENS, WIDTH)] * 2
    # the prompt tokens steered the upper blocks
    assert not torch.allclose(plain_scores[0].pred_score, prompted_scores[0].pred_score)
    assert not torch.allclose(plain.task_tokens, prompted.task_tokens)


def test_gradients_reach_the_prompts_only():
    plugin = build_plugin()
    for parameter in plugin.parameters():
        parameter.requires_grad_(False)
    inputs, samples = batch()
    prompts = torch.randn(2, 4, WIDTH, requires_grad=True)
    losses = plugin.loss(full_state(plugin, inputs, prompts), samples)
    losses['loss_cls'].backward()
    assert prompts.grad is not None and prompts.grad.abs().sum() > 0
    assert all(p.grad is None for p in plugin.parameters())


def test_in_the_core_only_the_mapper_trains():
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='MultiTaskPromptModel',
            primary=dict(type='tasks_recognition.ActionRecognitionTask', model=model_config()),
            auxiliaries=dict(
                other=dict(type='ActionRecognitionTask', model=model_config(width=32, depth=2))
            ),
            mapper=dict(type='DoubleLayerMapper', num_prompts=4, reduction=4, adapter_reduction=4),
        )
    ).train()
    inputs, samples = batch()
    model(inputs, samples, mode='loss')['loss_cls'].backward()
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith('mapper.') for n in trainable)
    with_grad = {n for n, p in model.named_parameters() if p.grad is not None}
    assert with_grad and with_grad <= trainable
    assert not any(m.training for m in model.primary.modules())
    predictions = model.eval()(inputs, samples, mode='predict')
    assert predictions[0].pred_score.shape == (CLASSES,)


def test_view_resizes_and_samples_another_tasks_frames():
    plugin = build_plugin()
    frames = torch.rand(2, 40, 3, 50, 70)  # another task's long, wide clip
    inputs = plugin.view(dict(frames=frames, fps=30.0))
    assert inputs.shape == (2, 1, 3, NUM_FRAMES, SIZE, SIZE)
    assert plugin.tap(inputs).shape == (2, NUM_TOKENS, WIDTH)
    # a clip already in this model's geometry comes back as the same input
    raw = torch.randint(0, 256, (2, 1, 3, NUM_FRAMES, SIZE, SIZE)).float()
    preprocessor = plugin.data_preprocessor
    normalised = (raw.flatten(0, 1) - preprocessor.mean) / preprocessor.std
    sample = plugin.shared_sample(normalised.unsqueeze(1), None)
    torch.testing.assert_close(sample['frames'], raw.flatten(0, 1).transpose(1, 2) / 255)
    torch.testing.assert_close(plugin.view(sample), normalised.unsqueeze(1))


def test_shared_sample_has_one_clip_per_view_and_the_clip_rate():
    plugin = build_plugin()
    inputs, samples = batch(size=2, views=3)
    for sample in samples:
        sample.set_metainfo(dict(avg_fps=24.0, frame_interval=2))
    shared = plugin.shared_sample(inputs, samples)
    assert shared['frames'].shape == (6, NUM_FRAMES, 3, SIZE, SIZE)
    assert shared['frames'].min() >= 0 and shared['frames'].max() <= 1
    assert shared['fps'] == 12.0


def test_view_without_frames_names_what_is_missing():
    plugin = build_plugin()
    with pytest.raises(
        KeyError,
        match=r'ActionRecognitionTask sees another task through its '
        r'"frames".*has only .*features',
    ):
        plugin.view(dict(features=torch.rand(2, 64, 100)))
    with pytest.raises(ValueError, match=r'sample\["frames"\] must be \(B, T, 3, H, W\)'):
        plugin.view(dict(frames=torch.rand(2, 8, 32, 32)))


def test_clip_of_the_wrong_length_is_a_clear_error():
    plugin = build_plugin()
    with pytest.raises(ValueError, match=r'built for clips of 8 frames.*input has 4'):
        plugin.embed(torch.randn(1, 3, 4, SIZE, SIZE))


def test_model_that_is_not_a_vit_recognizer_is_an_error():
    cfg = model_config()
    cfg['backbone'] = dict(type='X3D', gamma_w=1, gamma_b=2.25, gamma_d=2.2)
    with pytest.raises(TypeError, match=r"backbone must be mmaction2's VisionTransformer.*X3D"):
        build_from(TASKS, dict(type='ActionRecognitionTask', model=cfg))


def test_single_task_checkpoint_loads_strictly(tmp_path):
    source = build_plugin(seed=1)
    path = tmp_path / 'recognizer.pth'
    torch.save({'state_dict': source.model.state_dict()}, path)
    loaded = build_from(
        TASKS,
        dict(type='ActionRecognitionTask', model=model_config(), checkpoint=str(path)),
    )
    loaded.load_checkpoint()
    inputs, _ = batch()
    with torch.no_grad():
        torch.testing.assert_close(loaded.eval().tap(inputs), source.tap(inputs))
    wrong = build_from(
        TASKS,
        dict(type='ActionRecognitionTask', model=model_config(depth=2), checkpoint=str(path)),
    )
    with pytest.raises(RuntimeError, match=r'recognizer.pth does not match.*unexpected keys'):
        wrong.load_checkpoint()

"""FusedAttentionViT: mmaction2's VisionTransformer with fused attention is the same model
(outputs, gradients, checkpoints) and the recognition plugin takes it."""

import copy

import pytest
import torch

import dlm_core  # noqa: F401  (first: it makes mmaction2 1.2.0's models importable)

# isort: split
from mmaction.models import VisionTransformer
from mmaction.structures import ActionDataSample
from mmengine.config import Config

import tasks_recognition  # noqa: F401  (its registries reach the plugin and the backbone)
from dlm_core.registry import TASKS, build_from
from tasks_recognition.models import FusedAttention, FusedAttentionViT
from tasks_recognition.registry import MODELS

FRAMES, SIZE, PATCH, WIDTH, DEPTH, HEADS, CLASSES = 4, 16, 8, 32, 2, 4, 3
TOKENS = FRAMES // 2 * (SIZE // PATCH) ** 2


def backbone_cfg(**kwargs):
    cfg = dict(
        img_size=SIZE,
        patch_size=PATCH,
        embed_dims=WIDTH,
        depth=DEPTH,
        num_heads=HEADS,
        num_frames=FRAMES,
        tubelet_size=2,
        norm_cfg=dict(type='LN', eps=1e-6),
    )
    cfg.update(kwargs)
    return cfg


def pair(seed=0, **kwargs):
    """mmaction2's backbone (weights perturbed away from the init's zeros) and a fused one
    holding its state dict."""
    torch.manual_seed(seed)
    reference = VisionTransformer(**backbone_cfg(**kwargs))
    with torch.no_grad():
        for parameter in reference.parameters():
            parameter.add_(0.1 * torch.randn_like(parameter))
    fused = FusedAttentionViT(**backbone_cfg(**kwargs))
    fused.load_state_dict(reference.state_dict(), strict=True)
    return reference, fused


def clip(seed=1, batch=2):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(batch, 3, FRAMES, SIZE, SIZE, generator=generator)


@pytest.mark.parametrize(
    'kwargs',
    [
        dict(),  # VideoMAE: q/v biases, mean pooling
        dict(qkv_bias=False, qk_scale=0.3),  # no biases, another score scale
        dict(use_mean_pooling=False, init_values=0.5),  # first token, layer scales
    ],
)
def test_outputs_and_gradients_are_mmaction2s(kwargs):
    reference, fused = pair(**kwargs)
    reference.train(), fused.train()  # no dropout configured: training is deterministic
    outputs, grads = [], []
    for model in (reference, fused):
        inputs = clip().requires_grad_(True)
        out = model(inputs)
        (out * torch.linspace(-1, 1, out.shape[-1])).sum().backward()
        outputs.append(out)
        grads.append({'inputs': inputs.grad, **{n: p.grad for n, p in model.named_parameters()}})
    torch.testing.assert_close(outputs[1], outputs[0], rtol=1e-4, atol=1e-5)
    assert grads[1].keys() == grads[0].keys()
    for name, grad in grads[0].items():
        torch.testing.assert_close(grads[1][name], grad, rtol=1e-4, atol=1e-5, msg=name)


def test_the_same_parameters_state_dict_and_initial_weights():
    torch.manual_seed(0)
    reference = VisionTransformer(**backbone_cfg())
    reference.init_weights()
    torch.manual_seed(0)
    fused = FusedAttentionViT(**backbone_cfg())
    fused.init_weights()
    assert all(isinstance(block.attn, FusedAttention) for block in fused.blocks)
    ours, theirs = fused.state_dict(), reference.state_dict()
    assert list(ours) == list(theirs)  # names and order
    for name, value in theirs.items():
        torch.testing.assert_close(ours[name], value, rtol=0, atol=0, msg=name)
    assert [n for n, _ in fused.named_parameters()] == [n for n, _ in reference.named_parameters()]


def test_a_checkpoint_of_either_loads_strictly_into_the_other(tmp_path):
    reference, fused = pair(seed=2)
    path = tmp_path / 'fused.pth'
    torch.save(fused.state_dict(), path)
    other = VisionTransformer(**backbone_cfg())
    other.load_state_dict(torch.load(path), strict=True)
    torch.save(reference.state_dict(), path)
    again = FusedAttentionViT(**backbone_cfg())
    again.load_state_dict(torch.load(path), strict=True)
    inputs = clip()
    with torch.no_grad():
        expected = reference.eval()(inputs)
        torch.testing.assert_close(other.eval()(inputs), expected, rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(again.eval()(inputs), expected, rtol=1e-4, atol=1e-5)


def test_attention_dropout_acts_in_training_only():
    reference, fused = pair(attn_drop_rate=0.5)
    inputs = clip()
    with torch.no_grad():
        fused.train()
        assert not torch.allclose(fused(inputs), fused(inputs))
        expected = reference.eval()(inputs)
        torch.testing.assert_close(fused.eval()(inputs), expected, rtol=1e-4, atol=1e-5)


# -- in the recognition plugin ---------------------------------------------------------
def recognizer(backbone_type):
    return dict(
        type='Recognizer3D',
        backbone=dict(type=backbone_type, **backbone_cfg()),
        cls_head=dict(type='TimeSformerHead', num_classes=CLASSES, in_channels=WIDTH),
        data_preprocessor=dict(type='ActionDataPreprocessor', format_shape='NCTHW'),
    )


def plugin(backbone_type):
    torch.manual_seed(0)
    cfg = dict(type='tasks_recognition.ActionRecognitionTask', model=recognizer(backbone_type))
    return build_from(TASKS, cfg).eval()


def test_registered_in_the_recognition_scope():
    assert MODELS.get('FusedAttentionViT') is FusedAttentionViT
    assert issubclass(FusedAttentionViT, VisionTransformer)


def test_the_plugin_taps_and_prompts_the_fused_backbone_as_mmaction2s():
    fused, reference = plugin('FusedAttentionViT'), plugin('VisionTransformer')
    assert type(fused.backbone) is FusedAttentionViT
    assert type(reference.backbone) is VisionTransformer
    reference.model.load_state_dict(fused.model.state_dict(), strict=True)
    inputs = clip(batch=2).unsqueeze(1)  # (B, V, 3, T, H, W)
    samples = [ActionDataSample().set_gt_label(i) for i in range(2)]
    prompts = torch.randn(2, 5, WIDTH, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        taps = fused.tap(inputs)
        assert taps.shape == (2, TOKENS, WIDTH) and fused.tap_layer == DEPTH // 2
        torch.testing.assert_close(taps, reference.tap(inputs), rtol=1e-4, atol=1e-5)
        states = []
        for task in (fused, reference):
            state = task.run_layers(task.embed(inputs), 0, task.tap_layer)
            states.append(task.run_layers(state, task.tap_layer, task.num_layers, prompts))
        assert fused.tokens(states[0]).shape == (2, 5 + TOKENS, WIDTH)
        assert states[0].num_prompts == 5
        torch.testing.assert_close(states[0].tokens, states[1].tokens, rtol=1e-4, atol=1e-5)
        scores = [
            task.predict(state, copy.deepcopy(samples))
            for task, state in zip((fused, reference), states)
        ]
    for ours, theirs in zip(*scores):
        torch.testing.assert_close(ours.pred_score, theirs.pred_score, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('name', ['ssv2', 'ucf101', 'hmdb51'])
def test_the_real_recognition_configs_opt_in(name):
    cfg = Config.fromfile(f'configs/tasks/real/vit_b_{name}.py')
    assert MODELS.get(cfg.model.backbone.type) is FusedAttentionViT

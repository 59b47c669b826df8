"""Exact start (``model.exact_start=True``): at step 0 every prompted primary is its frozen
model, in prepend and prefix mode, for all six task plugins; training still moves it.

Each primary is a demo-size plugin at random init (as the plugin tests build them),
prompted through the double layer mapper by two small auxiliaries that read any task's
shared sample; the frozen reference is the same plugin run without prompts.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable

import pytest
import torch
import torch.nn.functional as F
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.structures import BaseDataElement, InstanceData

import tasks_detection  # noqa: F401  (its registries reach the plugins)
import tasks_recognition  # noqa: F401
import tasks_segmentation  # noqa: F401
from dlm_core.models.prompting import lower_state, upper_state
from dlm_core.registry import MODELS
from tests.helpers.toy_task import TOY_TASKS, ToyTask


@TOY_TASKS.register_module(force=True)
class AnyClipTask(ToyTask):
    """A toy auxiliary that sees any task: its features, else its frames, pooled per step."""

    def view(self, sample):
        if 'features' in sample:
            steps = sample['features'].transpose(1, 2)
        else:
            steps = self.require(sample, 'frames').flatten(2)
        return F.adaptive_avg_pool1d(steps.float(), self.in_dim)


AUXILIARIES = dict(
    wide=dict(type='AnyClipTask', in_dim=16, dim=24, depth=2, num_classes=2),
    narrow=dict(type='AnyClipTask', in_dim=8, dim=16, depth=2, num_classes=2),
)
MAPPER = dict(type='DoubleLayerMapper', num_prompts=3, reduction=4, adapter_reduction=4)


# -- the six primaries, small --------------------------------------------------------------
def _recognition(fused: bool = False):
    model = Config.fromfile('configs/tasks/ssv2_demo.py').model.to_dict()
    model['backbone'].update(embed_dims=48, depth=4, num_frames=8, img_size=32)
    if fused:
        model['backbone']['type'] = 'FusedAttentionViT'
    model['cls_head'].update(in_channels=48, num_classes=5)
    inputs = torch.randn(2, 1, 3, 8, 32, 32, generator=torch.Generator().manual_seed(0))

    def samples():
        return [ActionDataSample().set_gt_label(i) for i in range(2)]

    cfg = dict(type='tasks_recognition.ActionRecognitionTask', model=model)
    return cfg, inputs, samples, lambda results: [r.pred_score for r in results]


def _ava():
    model = Config.fromfile('configs/tasks/ava_demo.py').model.to_dict()
    # one clip: mmaction2's AVA head predicts one sample at a time
    inputs = torch.randn(1, 3, 8, 64, 64, generator=torch.Generator().manual_seed(0))

    def samples():
        out = []
        for index in range(1):
            sample = ActionDataSample()
            boxes = torch.tensor([[8.0, 8.0, 30.0, 36.0], [34.0, 20.0, 60.0, 50.0]])
            labels = torch.zeros(2, 9)
            labels[0, 1] = labels[1, 4] = 1
            sample.gt_instances = InstanceData(bboxes=boxes, labels=labels)
            sample.proposals = InstanceData(bboxes=boxes + 1.0)
            sample.set_metainfo(
                dict(
                    img_shape=(64, 64),
                    video_id=f'v{index}',
                    timestamp=902,
                    fps=30,
                    frame_interval=4,
                )
            )
            out.append(sample)
        return out

    cfg = dict(type='tasks_detection.SpatioTemporalDetectionTask', model=model)
    return cfg, inputs, samples, lambda results: [r.pred_instances.scores for r in results]


def _thumos():
    from tests.tasks_detection.test_thumos_plugin import DETECTOR
    from tests.tasks_detection.test_thumos_plugin import samples as thumos_samples

    detector = copy.deepcopy(DETECTOR)
    lengths = (37, 30)

    def samples():
        return thumos_samples(lengths)

    generator = torch.Generator().manual_seed(0)
    features = [torch.randn(24, n, generator=generator) for n in lengths]
    cfg = dict(type='tasks_detection.TemporalDetectionTask', model=detector)
    prepare = dict(features=features, samples=samples)

    def predictions(results):
        return [t for r in results for t in (r.pred_instances.segments, r.pred_instances.scores)]

    return cfg, prepare, samples, predictions


def _vod():
    model = Config.fromfile('configs/tasks/imagenet_vid_demo.py').model.to_dict()
    from tests.tasks_detection.test_vod_plugin import clip_samples

    cfg = dict(type='tasks_detection.VideoObjectDetectionTask', model=model, view_size=(64, 64))
    frames = torch.rand(2, 3, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    prepare = dict(frames=frames)

    def predictions(results):
        keys = [r.video_data_samples[0].pred_instances for r in results]
        return [t for k in keys for t in (k.bboxes, k.scores)]

    return cfg, prepare, clip_samples, predictions


def _asformer():
    segmentor = dict(
        type='ActionSegmentor',
        backbone=dict(
            type='ASFormer', in_channels=64, num_classes=6, embed_dims=16, num_layers=4,
            num_decoders=2,
        ),
    )  # fmt: skip
    lengths = (30, 17)
    generator = torch.Generator().manual_seed(0)
    features = [torch.randn(64, n, generator=generator) for n in lengths]
    labels = [torch.randint(6, (n,), generator=generator) for n in lengths]

    def samples():
        out = []
        for label in labels:
            sample = BaseDataElement(metainfo=dict(sample_rate=1))
            sample.gt_labels = label.clone()
            out.append(sample)
        return out

    cfg = dict(type='tasks_segmentation.ActionSegmentationTask', model=segmentor)
    prepare = dict(features=dict(features=features), samples=samples)
    return cfg, prepare, samples, lambda results: [r.pred_labels for r in results]


def _vis():
    from tests.helpers.vis import batch, demo_set, model_config

    root = demo_set(num_train=2, num_valid=1)
    cfg = dict(type='tasks_segmentation.VideoInstanceSegmentationTask', model=model_config())
    prepare = dict(vis_root=root, batch=batch)

    def predictions(results):
        frames = [f.pred_track_instances for r in results for f in r.video_data_samples]
        return [t.float() for f in frames for t in (f.scores, f.masks)]

    return cfg, prepare, None, predictions


@dataclass
class Case:
    model: object
    inputs: object
    samples: Callable[[], list]
    predictions: Callable[[list], list]


def build_case(name: str, exact_start: bool = True) -> Case:
    builders = dict(
        recognition=_recognition,
        recognition_fused=lambda: _recognition(fused=True),
        ava=_ava,
        thumos14=_thumos,
        imagenet_vid=_vod,
        asformer=_asformer,
        youtube_vis=_vis,
    )
    primary, prepare, samples, predictions = builders[name]()
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='MultiTaskPromptModel',
            primary=primary,
            auxiliaries=copy.deepcopy(AUXILIARIES),
            mapper=MAPPER,
            exact_start=exact_start,
            infer_mode='dynamic',
        )
    )
    torch.manual_seed(0)
    model.primary.task_model.init_weights()  # no checkpoint: some weights start empty
    inputs = prepare
    if isinstance(prepare, dict) and 'features' in prepare:
        data = model.data_preprocessor(dict(inputs=prepare['features'], data_samples=samples()))
        inputs = data['inputs']
    elif isinstance(prepare, dict) and 'frames' in prepare:
        inputs = model.primary.view(dict(frames=prepare['frames']))
    elif isinstance(prepare, dict) and 'vis_root' in prepare:
        inputs, _ = prepare['batch'](model.primary, prepare['vis_root'])

        def samples():
            return prepare['batch'](model.primary, prepare['vis_root'])[1]

    return Case(model.train(), inputs, samples, predictions)


CASES = [
    'recognition',
    'recognition_fused',
    'ava',
    'thumos14',
    'imagenet_vid',
    'asformer',
    'youtube_vis',
]


def total_loss(model, losses: dict) -> torch.Tensor:
    return model.parse_losses(losses)[0]


def frozen_outputs(case: Case):
    """Task tokens, loss and predictions of the plain primary (no prompts)."""
    plugin = case.model.primary
    with torch.no_grad():
        state = upper_state(plugin, lower_state(plugin, case.inputs, 0), 0, None)
        torch.manual_seed(1)
        loss = total_loss(case.model, plugin.loss(state, case.samples()))
        case.model.eval()  # the trained head predicts in eval mode (dropout off)
        predictions = case.predictions(plugin.predict(state, case.samples()))
        case.model.train()
    return task_tokens(state), loss, predictions


def task_tokens(state) -> torch.Tensor:
    return state.task_tokens if hasattr(state, 'task_tokens') else state.tokens


def prompted_outputs(case: Case, mode: str = 'dynamic'):
    model = case.model.eval()  # inference: no moving-average update
    with torch.no_grad():
        state = model.encode(case.inputs, case.samples(), mode)
        predictions = case.predictions(model.primary.predict(state, case.samples()))
    model.train()
    return task_tokens(state), predictions


def step0_loss(case: Case) -> torch.Tensor:
    torch.manual_seed(1)  # heads that sample points (Mask2Former) draw the same ones
    return total_loss(case.model, case.model(case.inputs, case.samples(), mode='loss'))


def assert_all_close(got, expected, what):
    assert len(got) == len(expected), what
    for a, b in zip(got, expected):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5, msg=what)


@pytest.mark.parametrize('name', CASES)
def test_step_zero_is_the_frozen_model_and_one_step_moves_it(name):
    case = build_case(name)
    model = case.model
    assert model.prompt_gate is not None and model.prompt_gate.groups == [3, 3]
    assert model.prompt_layer == model.primary.num_layers // 2 > 0
    tokens, loss, predictions = frozen_outputs(case)

    # dynamic inference at step 0: the frozen model's tokens and predictions
    got_tokens, got_predictions = prompted_outputs(case, 'dynamic')
    torch.testing.assert_close(got_tokens, tokens, rtol=1e-4, atol=1e-5)
    assert_all_close(got_predictions, predictions, 'dynamic predictions')

    # the training loss at step 0 is the frozen model's; the gates get a gradient, the
    # prompts none yet (they enter multiplied by tanh(0) = 0)
    model.zero_grad()
    step_loss = step0_loss(case)
    torch.testing.assert_close(step_loss, loss, rtol=1e-4, atol=1e-5)
    step_loss.backward()
    gate_grad = model.prompt_gate.logits.grad
    assert gate_grad is not None and gate_grad.abs().sum() > 0
    assert all(p.grad is None or not p.grad.any() for p in model.mapper.parameters())

    # static inference with the moving average that step made: still the frozen model
    assert int(model.ema_steps) == 1
    got_tokens, got_predictions = prompted_outputs(case, 'static')
    torch.testing.assert_close(got_tokens, tokens, rtol=1e-4, atol=1e-5)
    assert_all_close(got_predictions, predictions, 'static predictions')

    # one optimizer step opens the gates: now the mapper gets gradients, the outputs move
    trainable = [p for p in model.parameters() if p.requires_grad]
    torch.optim.Adam(trainable, lr=1e-2).step()
    assert model.prompt_gate.logits.abs().min() > 0
    model.zero_grad()
    step0_loss(case).backward()
    for part in (model.mapper.prompts, model.mapper.extractors):
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in part.parameters())
    moved, _ = prompted_outputs(case, 'dynamic')
    assert (moved - tokens).abs().max() > 1e-6


@pytest.mark.parametrize('name', CASES)
def test_without_exact_start_the_prompted_model_starts_elsewhere(name):
    case = build_case(name, exact_start=False)
    assert case.model.prompt_gate is None
    tokens, _, _ = frozen_outputs(case)
    got, _ = prompted_outputs(case, 'dynamic')
    assert (got - tokens).abs().max() > 1e-4  # ten times the tolerance of "equal"


# -- the gate's arithmetic ----------------------------------------------------------------
def test_the_prompt_term_is_one_softmax_per_group_times_its_gate():
    from dlm_core.models import PromptGate

    gate = PromptGate([2, 3], first_layer=1, num_layers=3)
    with torch.no_grad():
        gate.logits.copy_(torch.tensor([[0.5, -1.0], [2.0, 0.0]]))
    generator = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 4, 6, 8, generator=generator) for _ in range(3))
    layer = gate.layer(1)
    term = layer.prompt_term(q, k[..., :5, :], v[..., :5, :])
    manual = sum(
        torch.tanh(gate.logits[0, i])
        * F.scaled_dot_product_attention(q, k[..., s, :], v[..., s, :])
        for i, s in enumerate([slice(0, 2), slice(2, 5)])
    )
    torch.testing.assert_close(term, manual)
    with pytest.raises(ValueError, match='layers \\[1, 3\\)'):
        gate.layer(0)
    with pytest.raises(ValueError, match='built for 5 prompts'):
        layer.prompt_term(q, k, v)
    # zero gates: task rows attend as if no prompt were there; prompt rows see everything
    closed = PromptGate([2, 3], first_layer=0, num_layers=1).layer(0)
    out = closed.self_attention(q, k, v, num_prompts=5)
    task = F.scaled_dot_product_attention(q[..., 5:, :], k[..., 5:, :], v[..., 5:, :])
    torch.testing.assert_close(out[..., 5:, :], task)
    torch.testing.assert_close(out[..., :5, :], F.scaled_dot_product_attention(q, k, v)[..., :5, :])


def test_the_demo_dlm_starts_exactly_and_the_ungated_variant_builds_without_gates():
    """The configs' default (#22: no worse on validation on all six primaries); the
    ungated variant is the paper's DLM, the benchmark's "DLM" rows."""
    from mmengine.config import Config

    from tests.helpers.demo_configs import without_checkpoints

    base = Config.fromfile('configs/dlm/ssv2_aux5.py')
    variant = Config.fromfile('configs/dlm/ssv2_aux5_ungated.py')
    assert base.model.exact_start is True and variant.model.exact_start is False
    model = MODELS.build(without_checkpoints(base.model.to_dict()))
    gate = model.prompt_gate
    assert gate.groups == [8] * 5 and gate.logits.shape == (4 - 2, 5)
    assert 'prompt_gate.logits' in model.trained_state_dict()
    ungated = MODELS.build(without_checkpoints(variant.model.to_dict()))
    assert ungated.prompt_gate is None
    assert not any('prompt_gate' in key for key in ungated.trained_state_dict())

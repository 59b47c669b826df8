"""Attribution inside one DLM run: attention shares recorded through the gate interface,
prompt groups removed or averaged at test time, and tools/analysis/prompt_attribution.py
on a toy whose one auxiliary sees the label and whose other auxiliary's tap is constant.
"""

from __future__ import annotations

import copy
import importlib
import json

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.runner import Runner

from dlm_core.analysis import (
    AttentionNotObservable,
    PromptAttentionRecorder,
    check_attributable,
    edited_prompt_group,
)
from dlm_core.errors import ConfigError
from dlm_core.models import PromptGate
from dlm_core.models.prompting import encode_with_prompts
from dlm_core.registry import MODELS
from tests.helpers import toy_attribution  # noqa: F401  (registers the toys)
from tests.helpers.toy_runs import train_val_loaders


# -- the recorder's arithmetic -----------------------------------------------------------
def test_ungated_recorder_is_the_joint_softmax_and_records_its_group_masses():
    generator = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 3, 9, 4, generator=generator) for _ in range(3))
    recorder = PromptAttentionRecorder([2, 3], first_layer=1, num_layers=3)
    out = recorder.layer(2).self_attention(q, k, v, num_prompts=5)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v))
    weights = torch.softmax(q @ k.transpose(-2, -1) / 2.0, dim=-1)[..., 5:, :]  # task queries
    expected = [weights[..., :2].sum(-1).mean(), weights[..., 2:5].sum(-1).mean()]
    assert list(recorder.per_layer()) == [2]
    got = torch.tensor(recorder.mean_shares(), dtype=torch.float64)
    torch.testing.assert_close(got, torch.stack(expected).double())
    # padded task keys: never attended, and their queries do not count
    mask = torch.ones(2, 4, dtype=torch.bool)
    mask[1, 2:] = False
    masked = PromptAttentionRecorder([2, 3], first_layer=0, num_layers=1)
    out = masked.layer(0).self_attention(q, k, v, num_prompts=5, key_mask=mask)
    full = torch.cat([torch.ones(2, 5, dtype=torch.bool), mask], 1)[:, None, None, :]
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=full))
    scores = (q @ k.transpose(-2, -1) / 2.0).masked_fill(~full, float('-inf'))
    task = torch.softmax(scores, dim=-1)[..., 5:, :]
    valid = mask[:, None, :].expand(2, 3, 4)
    first = task[..., :2].sum(-1)[valid].mean()
    assert abs(masked.mean_shares()[0] - float(first)) < 1e-6
    with pytest.raises(ValueError, match='built for 5 prompts'):
        recorder.layer(1).self_attention(q, k, v, num_prompts=4)
    with pytest.raises(AttentionNotObservable, match='prompt_term'):
        recorder.layer(1).prompt_term(q, k[..., :5, :], v[..., :5, :])


def test_gated_recorder_runs_the_trained_gate_and_records_the_gated_share():
    gate = PromptGate([2, 3], first_layer=1, num_layers=3)
    with torch.no_grad():
        gate.logits.copy_(torch.tensor([[0.5, -1.0], [2.0, 0.0]]))
    recorder = PromptAttentionRecorder([2, 3], 1, 3, gate=gate)
    generator = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(2, 3, 9, 4, generator=generator) for _ in range(3))
    torch.testing.assert_close(
        recorder.layer(1).self_attention(q, k, v, 5), gate.layer(1).self_attention(q, k, v, 5)
    )
    torch.testing.assert_close(
        recorder.layer(2).prompt_term(q, k[..., :5, :], v[..., :5, :]),
        gate.layer(2).prompt_term(q, k[..., :5, :], v[..., :5, :]),
    )
    g = torch.tanh(gate.logits.detach()).abs().double()
    shares = g / (1 + g.sum(dim=1, keepdim=True))
    per_layer = recorder.per_layer()
    torch.testing.assert_close(torch.tensor(per_layer[1], dtype=torch.float64), shares[0])
    torch.testing.assert_close(torch.tensor(per_layer[2], dtype=torch.float64), shares[1])
    assert recorder.mean_shares()[1] == pytest.approx(float(shares[:, 1].mean()))


# -- the recorder inside the six plugins (the fixtures of the exact-start tests) ----------
JOINT_CALLS = {'recognition', 'recognition_fused', 'ava', 'thumos14'}


def _recorded(case, recorder):
    model = case.model
    samples = case.samples()
    state = encode_with_prompts(
        model.primary,
        case.inputs,
        model.prompt_layer,
        lambda size: model.mapper(model.auxiliary_taps(case.inputs, samples), size),
        recorder,
    )
    return state.task_tokens if hasattr(state, 'task_tokens') else state.tokens


@pytest.mark.parametrize('gated', [False, True], ids=['ungated', 'gated'])
@pytest.mark.parametrize(
    'name',
    ['recognition', 'recognition_fused', 'ava', 'thumos14', 'imagenet_vid', 'asformer',
     'youtube_vis'],
)  # fmt: skip
def test_the_recorder_computes_what_each_plugin_computes(name, gated):
    from tests.dlm_core.test_exact_start import build_case, prompted_outputs

    case = build_case(name, exact_start=gated)
    model = case.model.eval()
    gate = model.prompt_gate
    if gated:
        with torch.no_grad():  # open gates, as after training (tanh(0) = 0 would hide them)
            gate.logits.copy_(torch.randn(gate.logits.shape, generator=torch.Generator()
                                          .manual_seed(2)))  # fmt: skip
    native, _ = prompted_outputs(case, 'dynamic')
    model.eval()
    recorder = PromptAttentionRecorder(
        model.mapper.prompt_groups, model.prompt_layer, model.primary.num_layers, gate
    )
    if not gated and name not in JOINT_CALLS:
        with pytest.raises(AttentionNotObservable), torch.no_grad():
            _recorded(case, recorder)
        return
    with torch.no_grad():
        got = _recorded(case, recorder)
    torch.testing.assert_close(got, native, rtol=1e-4, atol=1e-5)
    layers = recorder.per_layer()
    assert sorted(layers) == list(range(model.prompt_layer, model.primary.num_layers))
    shares = torch.tensor(recorder.mean_shares())
    assert (shares > 0).all() and shares.sum() < 1


# -- editing prompt groups ----------------------------------------------------------------
TOY_DLM = dict(
    type='MultiTaskPromptModel',
    primary=dict(type='toy_tasks.ToyGatedTask', in_dim=16, dim=32, depth=4, seen=8),
    auxiliaries=dict(
        informative=dict(type='toy_tasks.ToyTask', in_dim=16, dim=24, depth=2, num_classes=2),
        constant=dict(type='toy_tasks.ConstantViewTask', in_dim=16, dim=16, depth=2, num_classes=2),
    ),  # fmt: skip
    mapper=dict(type='DoubleLayerMapper', num_prompts=3, reduction=4, adapter_reduction=4),
    infer_mode='dynamic',
)


def test_removed_and_averaged_groups_are_what_they_say_and_the_model_is_restored():
    torch.manual_seed(0)
    model = MODELS.build(dict(copy.deepcopy(TOY_DLM), exact_start=True)).eval()
    with torch.no_grad():
        model.prompt_gate.logits.normal_()
    inputs = torch.randn(4, 6, 16)
    logits_before = model.prompt_gate.logits.clone()

    def prompts_seen():
        return model.mapper(model.auxiliary_taps(inputs, None), 4)

    with torch.no_grad():
        full = prompts_seen()
        with edited_prompt_group(model, 0, 'removed'):
            assert torch.equal(prompts_seen(), full[:, 3:])
            assert model.prompt_gate.groups == [3]
            assert torch.equal(model.prompt_gate.logits, logits_before[:, 1:])
            removed = model(inputs, None, mode='tensor')
        rows = torch.randn(3, 32)
        with edited_prompt_group(model, 1, 'averaged', rows):
            edited = prompts_seen()
            assert torch.equal(edited[:, :3], full[:, :3])
            assert torch.equal(edited[:, 3:], rows.expand(4, -1, -1))
        assert torch.equal(prompts_seen(), full) and model.prompt_gate.groups == [3, 3]
        assert torch.equal(model.prompt_gate.logits, logits_before)
        # removing group 0 (auxiliaries in name order: 'constant') is the model built with
        # the other auxiliary alone
        alone = MODELS.build(
            dict(copy.deepcopy(TOY_DLM), exact_start=True,
                 auxiliaries=dict(informative=TOY_DLM['auxiliaries']['informative']))
        ).eval()  # fmt: skip
        result = alone.load_state_dict(_without_group(model.state_dict(), 0, 'constant'), False)
        assert not result.unexpected_keys and set(result.missing_keys) <= {
            'ema_prompts',
            'ema_steps',
        }
        torch.testing.assert_close(alone(inputs, None, mode='tensor'), removed)
    vpt = MODELS.build(
        dict(type='MultiTaskPromptModel', primary=TOY_DLM['primary'],
             mapper=dict(type='StaticPrompts', num_prompts=2), infer_mode='dynamic')
    )  # fmt: skip
    with pytest.raises(ConfigError, match='prompts come from auxiliary taps'):
        check_attributable(vpt)
    with pytest.raises(ConfigError, match='dynamic inference'):
        model.infer_mode = 'static'
        with edited_prompt_group(model, 0, 'removed'):
            pass


def _without_group(state: dict, index: int, name: str) -> dict:
    """The state of the two-auxiliary toy as the state of its twin without auxiliary
    ``index`` (called ``name``)."""
    out = {}
    for key, value in state.items():
        parts = key.split('.')
        if key == 'prompt_gate.logits':
            out[key] = value[:, [i for i in range(value.shape[1]) if i != index]]
        elif parts[0] == 'mapper' and parts[1] in (
            'prompts',
            'extractors',
            'dim_units',
            'adapters',
        ):
            number = int(parts[2])
            if number != index:
                parts[2] = str(number - (number > index))
                out['.'.join(parts)] = value
        elif not key.startswith((f'auxiliaries.{name}.', 'ema_')):
            out[key] = value
    return out


# -- the command on a trained toy ---------------------------------------------------------
def toy_run_config(work_dir, exact_start: bool) -> Config:
    loader, val_loader = train_val_loaders(
        dict(type='HiddenLabelTokens', num_samples=96, seed=0), 16, seed=1, num_samples=90
    )
    model = dict(copy.deepcopy(TOY_DLM), train_head=True, exact_start=exact_start)
    return Config(
        dict(
            default_scope='dlm',
            work_dir=str(work_dir),
            model=model,
            train_dataloader=loader,
            val_dataloader=val_loader,
            val_evaluator=dict(type='ToyAccuracy'),
            test_dataloader=val_loader,
            test_evaluator=dict(type='ToyAccuracy'),
            train_cfg=dict(by_epoch=True, max_epochs=25, val_interval=100),
            val_cfg=dict(),
            test_cfg=dict(),
            optim_wrapper=dict(optimizer=dict(type='AdamW', lr=5e-3, weight_decay=0.01)),
            default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=25)),
            custom_hooks=[dict(type='PromptCheckpointHook')],
            randomness=dict(seed=0),
            log_level='WARNING',
        )
    )


def attribution_tool():
    return importlib.import_module('tools.analysis.prompt_attribution')


@pytest.mark.parametrize('exact_start', [False, True], ids=['ungated', 'exact-start'])
def test_the_command_finds_the_informative_auxiliary_and_not_the_constant_one(
    tmp_path, capsys, exact_start
):
    cfg = toy_run_config(tmp_path / 'run', exact_start)
    Runner.from_cfg(copy.deepcopy(cfg)).train()
    cfg_path = tmp_path / 'toy_dlm.py'
    # written as Python literals: Config.dump sorts dict keys, which would reorder the
    # auxiliaries (and so the mapper's groups) of the trained model
    cfg_path.write_text(''.join(f'{key} = {value!r}\n' for key, value in cfg.to_dict().items()))
    out = tmp_path / 'attribution.json'
    record = attribution_tool().main(
        [str(cfg_path), str(tmp_path / 'run' / 'epoch_25.pth'), '--out', str(out),
         '--work-dir', str(tmp_path / 'analysis')]
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert 'informative' in printed and 'constant' in printed and 'accuracy' in printed
    assert json.loads(out.read_text())['auxiliaries'].keys() == {'informative', 'constant'}
    assert record['split'] == 'val' and record['gated'] is exact_start
    informative, constant = record['auxiliaries']['informative'], record['auxiliaries']['constant']
    assert record['all_prompts']['accuracy'] > 85  # the primary alone sees no label
    # the informative auxiliary carries the label: without it, or averaged, chance level
    assert informative['removed']['accuracy'] < 55 and informative['averaged']['accuracy'] < 55
    # a constant tap says nothing about the sample: averaging its prompts changes nothing,
    # and removing them costs little next to removing the informative ones
    assert constant['averaged_delta'] == 0
    assert abs(constant['removed_delta']) <= 5 < abs(informative['removed_delta'])
    attention = record['attention']
    assert attention['available'], attention['reason']
    assert 0 < constant['attention_share'] < 1 and 0 < informative['attention_share'] < 1
    assert len(informative['attention_per_layer']) == 2  # layers 2 and 3 of 4


@pytest.mark.parametrize('exact_start', [False, True], ids=['ungated', 'exact-start'])
def test_a_prefix_plugin_is_measured_gated_and_said_unmeasurable_ungated(exact_start):
    from dlm_core.analysis import attention_and_prompt_means

    torch.manual_seed(0)
    cfg = copy.deepcopy(TOY_DLM)
    cfg['primary']['type'] = 'toy_tasks.ToyPrefixTask'
    model = MODELS.build(dict(cfg, exact_start=exact_start))
    if exact_start:
        with torch.no_grad():
            model.prompt_gate.logits.fill_(0.5)
    batches = [dict(inputs=torch.randn(4, 6, 16), data_samples=None) for _ in range(2)]
    result = attention_and_prompt_means(model, batches)
    assert result['samples'] == 8 and result['means'].shape == (6, 32)
    assert result['available'] is exact_start
    if exact_start:
        share = float(torch.tanh(torch.tensor(0.5))) / (
            1 + 2 * float(torch.tanh(torch.tensor(0.5)))
        )
        assert result['shares'] == pytest.approx([share, share])
    else:
        assert 'ToyPrefixTask' in result['reason'] and 'prompt_term' in result['reason']
        assert result['shares'] is None

"""Static calibration: after DLM training the averaged prompts are tuned as plain prompts
(``model.static_calibration=True`` + ``dlm.StaticCalibrationHook``), with no mapper and no
auxiliary model running; static inference and prompt files then use them."""

from __future__ import annotations

import copy

import pytest
import torch
from mmengine.runner import Runner

from dlm_core.errors import ConfigError
from dlm_core.models import PromptedTaskModel
from dlm_core.prompt_io import load_prompt_file
from dlm_core.registry import MODELS
from tests.helpers import toy_task  # noqa: F401  (registers the toy plugin)
from tests.helpers.toy_runs import TOY_MODEL, toy_config

CALIBRATED_MODEL = dict(copy.deepcopy(TOY_MODEL), static_calibration=True, train_head=True)


def batches(count=4, size=8):
    out = []
    for seed in range(count):
        generator = torch.Generator().manual_seed(seed)
        directions = torch.randn(3, 16, generator=torch.Generator().manual_seed(99))
        labels = torch.randint(3, (size,), generator=generator)
        out.append(
            (torch.randn(size, 10, 16, generator=generator) + directions[labels][:, None], labels)
        )
    return out


def static_loss(model, data) -> float:
    """The training loss of static inference (the moving average or calibrated prompts)."""
    model.eval()
    with torch.no_grad():
        losses = [model.primary.loss(model.encode(x, y, 'static'), y)['loss_cls'] for x, y in data]
    return float(torch.stack(losses).mean())


def train(model, data, steps, lr):
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=lr)
    model.train()
    for step in range(steps):
        inputs, labels = data[step % len(data)]
        optimizer.zero_grad()
        model(inputs, labels, mode='loss')['loss_cls'].backward()
        optimizer.step()


def forbid_auxiliaries_and_mapper(model, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError('an auxiliary model or the mapper ran during calibration')

    for aux in model.auxiliaries.values():
        monkeypatch.setattr(aux, 'tap', refuse)
        monkeypatch.setattr(aux, 'view', refuse)
    model.mapper.register_forward_pre_hook(refuse)


def test_calibration_lowers_the_static_training_loss_without_mapper_or_auxiliaries(
    monkeypatch,
):
    torch.manual_seed(0)
    model = MODELS.build(CALIBRATED_MODEL)
    data = batches()
    train(model, data, steps=12, lr=3e-3)
    before = static_loss(model, data)
    average = model.ema_prompts.clone()
    mapper_state = {k: v.clone() for k, v in model.mapper.state_dict().items()}

    model.begin_static_calibration()
    assert model.calibrating
    torch.testing.assert_close(model.calibrated_prompts.detach(), average)
    assert static_loss(model, data) == pytest.approx(before)  # it starts from the average
    forbid_auxiliaries_and_mapper(model, monkeypatch)
    train(model, data, steps=30, lr=1e-2)
    after = static_loss(model, data)

    assert after < before - 0.05
    assert not torch.allclose(model.calibrated_prompts.detach(), average)
    torch.testing.assert_close(model.ema_prompts, average)  # the average is kept as it was
    for key, value in model.mapper.state_dict().items():
        assert torch.equal(value, mapper_state[key]), key
    torch.testing.assert_close(
        model.inference_prompts().detach(), model.calibrated_prompts.detach()
    )


def calibration_config(work_dir, max_epochs, begin=2, model=CALIBRATED_MODEL):
    cfg = toy_config(work_dir, max_epochs, model=model)
    cfg.custom_hooks.append(dict(type='StaticCalibrationHook', begin=begin, lr=1e-2))
    return cfg


def test_the_hook_calibrates_the_last_epochs_and_export_writes_the_calibrated_prompts(tmp_path):
    runner = Runner.from_cfg(calibration_config(tmp_path, 3))
    runner.train()
    model = runner.model
    assert model.calibrating
    assert not torch.allclose(model.calibrated_prompts.detach(), model.ema_prompts)
    assert int(model.ema_steps) == 2 * 6  # the mapper ran in the first two epochs only

    payload = load_prompt_file(str(tmp_path / 'prompts_latest.pth'))
    torch.testing.assert_close(payload['prompts'], model.calibrated_prompts.detach())
    assert payload['meta']['static_calibration'] is True
    assert {'calibrated_prompts', 'calibration_started'} <= set(payload['trained'])
    exported = tmp_path / 'exported.pth'
    model.export_prompts(str(exported))
    torch.testing.assert_close(
        load_prompt_file(str(exported))['prompts'], model.calibrated_prompts.detach()
    )

    # the plain primary with that file is the model's static inference (head included)
    plain = PromptedTaskModel(task=TOY_MODEL['primary'], prompt_file=str(exported))
    plain.task.load_state_dict(model.primary.state_dict())
    inputs, labels = batches(1)[0]
    model.eval()
    with torch.no_grad():
        mine = model(inputs, labels, mode='predict')
        theirs = plain(inputs, labels, mode='predict')
    for a, b in zip(mine, theirs):
        torch.testing.assert_close(a['logits'], b['logits'])


def test_resume_inside_the_calibration_stage_equals_the_uninterrupted_run(tmp_path):
    straight = Runner.from_cfg(calibration_config(tmp_path / 'straight', 4))
    straight.train()
    first = Runner.from_cfg(calibration_config(tmp_path / 'resumed', 3))
    first.train()
    cfg = calibration_config(tmp_path / 'resumed', 4)
    cfg.resume = True
    resumed = Runner.from_cfg(cfg)
    resumed.train()
    expected = straight.model.trained_state_dict()
    got = resumed.model.trained_state_dict()
    assert set(got) == set(expected) and bool(got['calibration_started'])
    for name in expected:
        torch.testing.assert_close(got[name], expected[name], rtol=0, atol=0, msg=name)


def test_configuration_errors_name_what_is_missing(tmp_path):
    with pytest.raises(ConfigError, match='leaves no calibration'):
        Runner.from_cfg(calibration_config(tmp_path / 'a', 2, begin=2)).train()
    with pytest.raises(ConfigError, match='static_calibration=True'):
        Runner.from_cfg(calibration_config(tmp_path / 'b', 2, begin=1, model=TOY_MODEL)).train()
    static_mapper = dict(copy.deepcopy(TOY_MODEL), static_calibration=True)
    static_mapper['mapper'] = dict(type='StaticPrompts', num_prompts=4)
    with pytest.raises(ConfigError, match='input-dependent mapper'):
        MODELS.build(static_mapper)
    untrained = MODELS.build(CALIBRATED_MODEL)
    with pytest.raises(RuntimeError, match='not been trained yet'):
        untrained.begin_static_calibration()


def test_the_calibrated_demo_variant_builds_and_keeps_the_base_schedule():
    from mmengine.config import Config

    from tests.helpers.demo_configs import without_checkpoints

    variant = Config.fromfile('configs/dlm/ssv2_aux5_calibrated.py')
    base = Config.fromfile('configs/dlm/ssv2_aux5.py')
    assert 'static_calibration' not in base.model
    hooks = [h for h in variant.custom_hooks if h.type == 'dlm.StaticCalibrationHook']
    assert len(hooks) == 1 and hooks[0].begin == base.train_cfg.max_epochs
    assert variant.train_cfg.max_epochs == base.train_cfg.max_epochs + 2
    assert [h.type for h in base.custom_hooks] == [h.type for h in variant.custom_hooks][:-1]
    (cosine,) = variant.param_scheduler
    assert cosine.end == cosine.T_max == base.param_scheduler[0].T_max
    model = MODELS.build(without_checkpoints(variant.model.to_dict()))
    assert model.static_calibration and not model.calibrating
    assert model.calibrated_prompts.shape == model.ema_prompts.shape == (40, 96)

"""The auxiliaries of a DLM model come in name order, so a run's dumped config (MMEngine's
``Config.dump`` sorts dict keys) builds the same model: before, the dump fed each tap to
another auxiliary's trained extractor, silently wherever two widths agreed."""

from __future__ import annotations

import torch
from mmengine.config import Config

from dlm_core.models import MultiTaskPromptModel


def toy(dim: int, depth: int = 2) -> dict:
    return dict(type='ToyTask', in_dim=16, dim=dim, depth=depth, num_classes=2)


CONFIG = """
model = dict(
    primary=dict(type='ToyTask', in_dim=16, dim=32, depth=4, num_classes=3),
    auxiliaries=dict(zeta=dict(type='ToyTask', in_dim=16, dim=24, depth=2, num_classes=2),
                     alpha=dict(type='ToyTask', in_dim=16, dim=24, depth=3, num_classes=2)),
    mapper=dict(type='DoubleLayerMapper', num_prompts=2, reduction=4, adapter_reduction=4))
"""


def build(model_cfg) -> MultiTaskPromptModel:
    from tests.helpers import toy_task  # noqa: F401  (registers ToyTask)

    cfg = dict(model_cfg)
    cfg.pop('type', None)
    torch.manual_seed(0)
    return MultiTaskPromptModel(**cfg)


def test_a_dumped_config_builds_the_model_with_the_same_auxiliary_order(tmp_path):
    written = tmp_path / 'run.py'
    written.write_text(CONFIG)
    cfg = Config.fromfile(str(written))
    cfg.dump(str(tmp_path / 'dumped.py'))
    dumped = Config.fromfile(str(tmp_path / 'dumped.py'))
    assert list(cfg.model.auxiliaries) == ['zeta', 'alpha']
    assert list(dumped.model.auxiliaries) == ['alpha', 'zeta']  # why the order is by name
    original, reloaded = build(cfg.model.to_dict()), build(dumped.model.to_dict())
    assert list(original.auxiliaries) == list(reloaded.auxiliaries) == ['alpha', 'zeta']
    reloaded.load_state_dict(original.state_dict())
    inputs = torch.randn(3, 5, 16)
    for a, b in zip(original.auxiliary_taps(inputs, None), reloaded.auxiliary_taps(inputs, None)):
        assert torch.equal(a, b)
    original.eval()
    reloaded.eval()
    original.infer_mode = reloaded.infer_mode = 'dynamic'
    assert torch.equal(original(inputs, mode='tensor'), reloaded(inputs, mode='tensor'))


def test_a_list_keeps_its_order():
    model = build(dict(primary=toy(32, 4), auxiliaries=[toy(24, 3), toy(16)],
                       mapper=dict(type='DoubleLayerMapper', num_prompts=2, reduction=4,
                                   adapter_reduction=4)))  # fmt: skip
    assert list(model.auxiliaries) == ['aux0', 'aux1']
    assert model.mapper.aux_dims == [24, 16]

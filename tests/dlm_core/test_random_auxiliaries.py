"""The random-auxiliary control: ``random_init=True`` (with ``random_init_seed``) on a task
plugin keeps its architecture, view and tap and gives its task model seeded untrained
weights; a checkpoint with it is an error, a missing checkpoint without it still is one.
"""

from __future__ import annotations

import copy

import pytest
import torch
from mmengine.config import Config

from dlm_core.errors import ConfigError, MissingCheckpointError
from dlm_core.registry import MODELS
from dlm_core.tasks import build_task
from dlm_core.trained_checkpoints import frozen_sources
from tests.helpers.logs import warnings_logged
from tests.helpers.toy_task import ToyTask  # noqa: F401  (registers the toy plugins)

TOY = dict(type='toy_tasks.ToyTask', in_dim=16, dim=32, depth=2, num_classes=3)


def weights(plugin) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in plugin.task_model.state_dict().items()}


def same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def random_plugin(cfg: dict, seed: int, global_seed: int = 123):
    """A plugin at random init of ``seed``, built after the global generator was set to
    ``global_seed`` (the random init must not depend on it)."""
    torch.manual_seed(global_seed)
    plugin = build_task(dict(cfg, random_init=True, random_init_seed=seed))
    plugin.load_checkpoint()  # what every model that holds a plugin calls once built
    return plugin


def trained_checkpoint(tmp_path, cfg: dict) -> str:
    """A checkpoint of the plugin's task model whose weights a few steps moved."""
    plugin = build_task(cfg)
    optimizer = torch.optim.SGD(plugin.parameters(), lr=0.5)
    for _ in range(3):
        inputs = torch.randn(4, 10, plugin.in_dim)
        plugin.loss(plugin.run_layers(plugin.embed(inputs), 0, 2), torch.tensor([0, 1, 2, 0])
                    )['loss_cls'].backward()  # fmt: skip
        optimizer.step()
    path = str(tmp_path / 'toy_trained.pth')
    torch.save(dict(state_dict=plugin.task_model.state_dict()), path)
    return path


# -- toy plugins --------------------------------------------------------------------------
def test_same_seed_same_weights_other_seed_other_weights_and_the_caller_stream_kept():
    a, b = random_plugin(TOY, 0, global_seed=1), random_plugin(TOY, 0, global_seed=2)
    assert same(weights(a), weights(b))  # the construction's random draws do not leak in
    c = random_plugin(TOY, 1)
    assert not same(weights(a), weights(c))
    different = [k for k, v in weights(a).items() if not torch.equal(v, weights(c)[k])]
    assert 'layers.0.self_attn.in_proj_weight' in different  # torch's own _reset_parameters
    torch.manual_seed(5)
    plugin = build_task(dict(TOY, random_init=True))  # building draws from the caller's stream
    state = torch.random.get_rng_state()
    plugin.load_checkpoint()  # ... the random init does not
    assert torch.equal(torch.random.get_rng_state(), state)


def test_random_weights_differ_from_a_trained_checkpoint(tmp_path):
    path = trained_checkpoint(tmp_path, TOY)
    trained = build_task(dict(TOY, checkpoint=path))
    trained.load_checkpoint()
    assert same(weights(trained), torch.load(path, weights_only=True)['state_dict'])
    untrained = random_plugin(TOY, 0)
    assert all(
        not torch.equal(v, weights(trained)[k])
        for k, v in weights(untrained).items()
        if k.endswith('weight') and 'norm' not in k
    )


def test_a_checkpoint_with_random_init_is_an_error_and_a_missing_one_still_is(tmp_path):
    path = trained_checkpoint(tmp_path, TOY)
    with pytest.raises(ConfigError, match='random_init=True .* choose one'):
        build_task(dict(TOY, checkpoint=path, random_init=True))
    with pytest.raises(ConfigError, match='random_init must be True or False'):
        build_task(dict(TOY, random_init='yes'))
    with pytest.raises(ConfigError, match='random_init_seed must be an integer'):
        build_task(dict(TOY, random_init=True, random_init_seed=1.5))
    missing = str(tmp_path / 'never_trained')
    model_cfg = dict(
        type='MultiTaskPromptModel',
        primary=TOY,
        auxiliaries=dict(a=dict(TOY, checkpoint=missing)),
        mapper=dict(type='DoubleLayerMapper', num_prompts=2, reduction=4, adapter_reduction=4),
    )
    with pytest.raises(MissingCheckpointError, match='never_trained does not exist'):
        MODELS.build(copy.deepcopy(model_cfg))  # never a silent fallback to random weights


def test_task_config_auxiliaries_take_no_default_checkpoint_with_random_init(tmp_path):
    task_config = tmp_path / 'toy_single_task.py'
    task_config.write_text(
        "model = dict(in_dim=16, dim=32, depth=2, num_classes=3)\nwork_dir = '"
        + str(tmp_path / 'work_dirs' / 'toy_single_task')
        + "'\n"
    )
    cfg = dict(type='toy_tasks.ToyTask', task_config=str(task_config))
    plugin = build_task(dict(cfg))
    with pytest.raises(MissingCheckpointError, match='produce it with: python tools/train.py'):
        plugin.load_checkpoint()  # the trained run does not exist: still an error
    plugin = build_task(dict(cfg, random_init=True, random_init_seed=4))
    assert plugin.checkpoint is None
    plugin.load_checkpoint()
    with pytest.raises(ConfigError, match='choose one'):  # an explicit checkpoint still clashes
        build_task(dict(cfg, random_init=True, checkpoint=str(tmp_path / 'x.pth')))


def toy_dlm(aux: dict, tap_cache: bool = False) -> dict:
    return dict(
        type='MultiTaskPromptModel',
        primary=TOY,
        auxiliaries=dict(left=aux, right=dict(TOY, dim=24)),
        mapper=dict(type='DoubleLayerMapper', num_prompts=2, reduction=4, adapter_reduction=4),
        tap_cache=dict(enabled=True) if tap_cache else None,
    )


def cache_fingerprint(model, tmp_path) -> dict:
    """The model fingerprint that the tap cache compares before reusing stored taps."""
    seen = {}

    def attach(work_dir, fingerprint, *args, **kwargs):
        seen.update(fingerprint)
        return False

    model.tap_cache.attach = attach
    model.attach_tap_cache(str(tmp_path))
    return seen


def test_log_line_and_tap_cache_fingerprint_tell_random_from_trained(tmp_path):
    path = trained_checkpoint(tmp_path, TOY)
    trained = MODELS.build(toy_dlm(dict(TOY, checkpoint=path), tap_cache=True))
    random0 = MODELS.build(toy_dlm(dict(TOY, random_init=True, random_init_seed=3), True))
    random0b = MODELS.build(toy_dlm(dict(TOY, random_init=True, random_init_seed=3), True))
    random1 = MODELS.build(toy_dlm(dict(TOY, random_init=True, random_init_seed=4), True))
    sources = frozen_sources(random0)
    assert 'auxiliary left ToyTask <- random init (seed 3)' in sources
    assert any(s.startswith('auxiliary left') and path in s for s in frozen_sources(trained))
    prints = {
        name: cache_fingerprint(model, tmp_path)['auxiliary left']
        for name, model in dict(trained=trained, r0=random0, r0b=random0b, r1=random1).items()
    }
    assert prints['r0'] == prints['r0b']
    assert (
        len({prints['trained']['weights'], prints['r0']['weights'], prints['r1']['weights']}) == 3
    )
    assert prints['r0']['tap_layer'] == prints['trained']['tap_layer']  # same tap, same view


# -- a real plugin: mmaction2's ViT recognizer, small --------------------------------------
def small_recognition() -> dict:
    model = Config.fromfile('configs/tasks/ssv2_demo.py').model.to_dict()
    model['backbone'].update(embed_dims=48, depth=4, num_frames=8, img_size=32)
    model['cls_head'].update(in_channels=48, num_classes=5)
    return dict(type='tasks_recognition.ActionRecognitionTask', model=model)


def test_the_recognition_vit_gets_its_own_seeded_initialisation(tmp_path):
    import tasks_recognition  # noqa: F401

    cfg = small_recognition()
    a, b, c = random_plugin(cfg, 0, 1), random_plugin(cfg, 0, 2), random_plugin(cfg, 1)
    assert same(weights(a), weights(b)) and not same(weights(a), weights(c))
    # the ViT's init_cfg (truncated normal, std 0.02, zero bias), not torch's default
    qkv = a.backbone.blocks[0].attn.qkv
    assert abs(float(qkv.weight.std()) - 0.02) < 0.003
    assert not a.backbone.blocks[0].attn.proj.bias.any()
    assert torch.equal(a.backbone.blocks[0].norm1.weight, torch.ones(48))
    # a trained checkpoint of the same architecture is something else
    trained = build_task(cfg)
    with torch.no_grad():
        for p in trained.task_model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    path = str(tmp_path / 'vit.pth')
    torch.save(dict(state_dict=trained.task_model.state_dict()), path)
    loaded = build_task(dict(cfg, checkpoint=path))
    loaded.load_checkpoint()
    assert not same(weights(loaded), weights(a))
    with pytest.raises(ConfigError, match='choose one'):
        build_task(dict(cfg, checkpoint=path, random_init=True))


def test_a_demo_dlm_config_with_random_auxiliaries_builds_and_trains_one_step():
    """configs/dlm/ssv2_aux5.py with the benchmark's own options for the control."""
    from dlm_bench.plan import random_aux_options
    from mmaction.structures import ActionDataSample

    import tasks_detection  # noqa: F401
    import tasks_recognition  # noqa: F401
    import tasks_segmentation  # noqa: F401

    cfg = Config.fromfile('configs/dlm/ssv2_aux5.py')
    names = list(cfg.model.auxiliaries)
    options = random_aux_options(names, seed=10)
    assert options[f'model.auxiliaries.{names[1]}.random_init_seed'] == 11
    cfg.merge_from_dict({**options, 'model.primary.checkpoint': None})
    model = MODELS.build(cfg.model.to_dict())
    sources = frozen_sources(model)
    for index, name in enumerate(names):
        assert any(s.startswith(f'auxiliary {name} ') and s.endswith(f'(seed {10 + index})')
                   for s in sources), sources  # fmt: skip
    trainable = [p for p in model.parameters() if p.requires_grad]
    before = [p.detach().clone() for p in trainable]
    frozen = {k: v.clone() for k, v in model.auxiliaries.state_dict().items()}
    inputs = torch.rand(2, 1, 3, 8, 32, 32) * 255
    samples = [ActionDataSample().set_gt_label(i) for i in range(2)]
    data = model.data_preprocessor(dict(inputs=list(inputs), data_samples=samples), True)
    optimizer = torch.optim.AdamW(trainable, lr=1e-3)
    loss = model.parse_losses(model(**data, mode='loss'))[0]
    loss.backward()
    optimizer.step()
    assert torch.isfinite(loss)
    assert any(not torch.equal(p, q) for p, q in zip(trainable, before))
    assert same(frozen, model.auxiliaries.state_dict())  # the random auxiliaries stay frozen


def test_a_checkpoint_lacking_trained_tensors_loads_with_a_warning(tmp_path):
    """A DLM checkpoint loaded into a model with more trained tensors (the calibration
    run's calibrated prompts) keeps their initial values and says so, by name."""
    import logging

    from mmengine.logging import MMLogger

    from dlm_core.trained_checkpoints import load_trained_state

    class Toy(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.head = torch.nn.Linear(2, 2)
            self.extra = torch.nn.Parameter(torch.zeros(3))

        def trained_state_dict(self):
            return self.state_dict()

    model = Toy()
    state = {'head.weight': torch.ones(2, 2), 'head.bias': torch.ones(2), 'gone': torch.ones(1)}
    logger = MMLogger.get_instance('lacking_trained_tensors', log_level='INFO')
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    load_trained_state(model, {'state_dict': state}, 'dlm.pth')
    logger.removeHandler(handler)
    assert torch.equal(model.head.weight, torch.ones(2, 2))
    assert torch.equal(model.extra, torch.zeros(3))
    warnings = [r.getMessage() for r in records if r.levelno == logging.WARNING]
    assert any('dlm.pth lacks trained tensors' in w and 'extra' in w for w in warnings)
    assert any('gone' in w for w in warnings)


def test_frozen_models_without_checkpoint_or_random_init_are_named_in_a_warning(tmp_path):
    path = trained_checkpoint(tmp_path, TOY)
    trained, random = dict(TOY, checkpoint=path), dict(TOY, random_init=True)
    with warnings_logged() as records:
        MODELS.build(toy_dlm(random))  # the primary and 'right' have no checkpoint
        auxiliaries = dict(left=trained, right=random)
        MODELS.build(dict(toy_dlm(trained), primary=trained, auxiliaries=auxiliaries))
    assert len(records) == 1
    assert "['primary', 'right'] have no checkpoint and no random_init" in records[0].getMessage()

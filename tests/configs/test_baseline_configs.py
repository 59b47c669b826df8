"""The baseline and ablation configs (docs/method.md §2) build from the DLM configs they inherit,
change only what their method changes, and train the expected number of parameters:
VPT = MVLPT (prompts only) < DLM without layer 2 < DLM.

Models are built with ``checkpoint=None`` for every plugin (random weights, shapes only),
as the other config tests do; nothing here needs a trained model.
"""

from __future__ import annotations

import os
import os.path as osp
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import dlm_core  # noqa: F401
from dlm_core.prompt_io import save_prompt_file
from dlm_core.registry import MODELS
from tests.helpers.paths import ROOT

PRIMARIES = ('ssv2', 'ava', 'thumos14', '50salads', 'imagenet_vid', 'youtube_vis')  # Table 1
PROMPT_METHODS = ('vpt_shallow', 'vpt_middle', 'mvlpt', 'dlm_no_layer2')
HPS = ('ssv2', 'ava')  # the demo tasks whose encoders are the same mmaction2 ViT


def baseline(method: str, primary: str) -> str:
    return osp.join(ROOT, 'configs', 'baselines', method, f'{primary}.py')


def dlm_config(primary: str) -> str:
    return osp.join(ROOT, 'configs', 'dlm', f'{primary}_aux5.py')


def without_checkpoints(node):
    """The model config with every plugin that names a single-task config left unloaded."""
    if isinstance(node, dict):
        node = {k: without_checkpoints(v) for k, v in node.items()}
        if 'task_config' in node:
            node['checkpoint'] = None
        return node
    if isinstance(node, (list, tuple)):
        return type(node)(without_checkpoints(v) for v in node)
    return node


def build(cfg: Config, **model_overrides):
    init_default_scope(cfg.default_scope)
    model_cfg = without_checkpoints(cfg.model.to_dict())
    model_cfg.update(model_overrides)
    return MODELS.build(model_cfg)


def trainable(model) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def test_every_method_has_a_config_per_primary_and_its_own_work_dir():
    for method in PROMPT_METHODS:
        for primary in PRIMARIES:
            text = Path(baseline(method, primary)).read_text()
            assert f"work_dir = 'work_dirs/baselines/{method}/{primary}'" in text
    for primary in HPS:
        text = Path(baseline('hps', primary)).read_text()
        assert f"work_dir = 'work_dirs/baselines/hps/{primary}'" in text


@pytest.mark.parametrize('primary', PRIMARIES)
def test_mvlpt_source_is_the_next_task_of_table_1(primary):
    source = PRIMARIES[(PRIMARIES.index(primary) + 1) % len(PRIMARIES)]
    text = Path(baseline('mvlpt', primary)).read_text()
    assert f"source_task = '{source}'" in text
    mapper = Config.fromfile(baseline('mvlpt', primary), import_custom_modules=False).model.mapper
    assert mapper.type == 'TransferredPrompts'
    assert mapper.init_file == f'work_dirs/baselines/vpt_shallow/{source}/prompts_latest.pth'


@pytest.mark.parametrize('primary', PRIMARIES)
def test_baselines_change_only_the_prompts_and_train_in_order(primary, tmp_path):
    dlm_cfg = Config.fromfile(dlm_config(primary))
    task_cfg = Config.fromfile(osp.join(ROOT, 'configs', 'tasks', f'{primary}_demo.py'))
    cfgs = {m: Config.fromfile(baseline(m, primary)) for m in PROMPT_METHODS}
    for method, cfg in cfgs.items():  # same data, schedule and optimiser as the DLM run
        for key in ('train_cfg', 'optim_wrapper', 'param_scheduler'):
            assert cfg[key] == dlm_cfg[key], (method, key)
        for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            mine, dlms = cfg[key].to_dict(), dlm_cfg[key].to_dict()
            pipeline = mine['dataset'].pop('pipeline')
            dlm_pipeline = dlms['dataset'].pop('pipeline')
            assert mine == dlms, (method, key)  # batches, sampler, files
            # without auxiliaries the inputs are read as the single-task model reads them
            expected = dlm_pipeline if method == 'dlm_no_layer2' else task_cfg[key].dataset.pipeline
            assert pipeline == expected, (method, key)
        assert cfg.model.primary == dlm_cfg.model.primary
        assert cfg.model.type == dlm_cfg.model.type == 'dlm.MultiTaskPromptModel'
        assert cfg.work_dir == f'work_dirs/baselines/{method}/{primary}'

    dlm = build(dlm_cfg)
    width, middle = dlm.primary.embed_dim, dlm.primary.prompt_layer
    shallow = build(cfgs['vpt_shallow'])
    middle_vpt = build(cfgs['vpt_middle'])
    source = torch.randn(8, 48)  # another width: MVLPT projects it to the primary's
    init_file = str(tmp_path / 'source_prompts.pth')
    save_prompt_file(init_file, source, 0, {})
    mapper = dict(cfgs['mvlpt'].model.mapper, init_file=init_file)
    mvlpt = build(cfgs['mvlpt'], mapper=mapper)
    no_layer2 = build(cfgs['dlm_no_layer2'])

    assert len(dlm.auxiliaries) == 5 and primary not in dlm.auxiliaries
    for vpt in (shallow, middle_vpt, mvlpt):
        assert len(vpt.auxiliaries) == 0 and not vpt.mapper.input_dependent
        assert vpt.inference_prompts().shape == (8, width)
    assert shallow.prompt_layer == mvlpt.prompt_layer == 0
    assert middle_vpt.prompt_layer == no_layer2.prompt_layer == dlm.prompt_layer == middle
    assert type(mvlpt.mapper).__name__ == 'TransferredPrompts'
    # the transferred rows keep the source prompts' norms (semi-orthogonal projection)
    if width >= source.shape[1]:
        torch.testing.assert_close(
            mvlpt.inference_prompts().norm(dim=1), source.norm(dim=1), rtol=1e-4, atol=1e-5
        )
    assert list(no_layer2.auxiliaries) == list(dlm.auxiliaries)
    assert not hasattr(no_layer2.mapper, 'adapters') and hasattr(dlm.mapper, 'adapters')

    counts = {
        name: trainable(model)
        for name, model in dict(
            vpt_shallow=shallow,
            vpt_middle=middle_vpt,
            mvlpt=mvlpt,
            dlm_no_layer2=no_layer2,
            dlm=dlm,
        ).items()
    }
    # every prompt method trains the head with its prompts (DESIGN.md §1.7); VPT's and
    # MVLPT's prompts join ungated, DLM's (with or without layer 2) through the exact start
    head = sum(p.numel() for module in shallow.primary.head_modules() for p in module.parameters())
    assert head > 0
    assert counts['vpt_shallow'] == counts['vpt_middle'] == counts['mvlpt'] == 8 * width + head
    assert shallow.prompt_gate is middle_vpt.prompt_gate is mvlpt.prompt_gate is None
    assert dlm.prompt_gate is not None and no_layer2.prompt_gate is not None
    assert counts['vpt_shallow'] < counts['dlm_no_layer2'] < counts['dlm']
    adapters = sum(p.numel() for p in dlm.mapper.adapters.parameters())
    assert counts['dlm'] - counts['dlm_no_layer2'] == adapters
    # trainable %: VPT's prompts are a smaller share of the primary alone than DLM's mapper
    # of all six models (the demo heads are a large share of the small demo primaries)
    prompts_only = [build(cfg, train_head=False) for cfg in (cfgs['vpt_shallow'], dlm_cfg)]
    assert prompts_only[0].trainable_percent < prompts_only[1].trainable_percent < 100
    assert dlm.trainable_percent < 100


# -- hard parameter sharing --------------------------------------------------------------
def hps_cfg(primary: str) -> Config:
    return Config.fromfile(baseline('hps', primary))


@pytest.mark.parametrize('primary', HPS)
def test_hps_config_interleaves_both_datasets_by_iteration(primary):
    cfg = hps_cfg(primary)
    task = Config.fromfile(osp.join(ROOT, 'configs', 'tasks', f'{primary}_demo.py'))
    partner = {'ssv2': 'ava', 'ava': 'ssv2'}[primary]
    partner_cfg = Config.fromfile(osp.join(ROOT, 'configs', 'tasks', f'{partner}_demo.py'))
    assert cfg.model.type == 'dlm.HardParameterSharingModel'
    assert cfg.model.eval_task == primary and set(cfg.model.tasks) == {primary, partner}
    assert cfg.model.tasks[partner].checkpoint is None
    loop = cfg.train_cfg
    assert loop.type == 'dlm.RoundRobinTrainLoop' and loop.task == primary
    other = loop.other_dataloaders[partner]
    assert other.dataset._scope_ == partner_cfg.default_scope
    assert other.dataset.ann_file == partner_cfg.train_dataloader.dataset.ann_file
    # the primary sees as many batches as in its single-task run
    epochs = task.train_cfg.max_epochs
    assert loop.max_iters == 2 * epochs * {'ssv2': 38, 'ava': 20}[primary]
    assert cfg.val_dataloader == task.val_dataloader and cfg.val_evaluator == task.val_evaluator
    assert all(not s.by_epoch for s in cfg.param_scheduler)
    assert cfg.optim_wrapper.paramwise_cfg == {}  # paramwise options would list shared blocks twice
    assert cfg.param_scheduler[-1].end == loop.max_iters
    assert cfg.default_hooks.checkpoint.by_epoch is False and cfg.log_processor.by_epoch is False
    assert not [key for key in cfg if key.startswith('_') and key != '_base_']


@pytest.mark.parametrize('primary', HPS)
def test_hps_model_shares_the_vit_blocks_only(primary, monkeypatch):
    model = build(hps_cfg(primary))
    partner = {'ssv2': 'ava', 'ava': 'ssv2'}[primary]
    mine, theirs = model.tasks[primary].model, model.tasks[partner].model
    assert mine.backbone.blocks is theirs.backbone.blocks
    assert mine.backbone.patch_embed is not theirs.backbone.patch_embed
    blocks = sum(p.numel() for p in mine.backbone.blocks.parameters())
    assert model.backbone_parameters - model.trainable_parameters == blocks
    assert 50 < model.trainable_percent < 100


@pytest.mark.slow
def test_hps_trains_on_both_demo_sets(monkeypatch, tmp_path):
    """A few round-robin iterations on the real demo data: both loaders and heads work."""
    from mmengine.runner import Runner

    from dlm_core.run_config import load_run_config
    from tools.data import make_demo_data

    for name in ('ssv2', 'ava'):
        make_demo_data.write_set(name, str(tmp_path / 'data' / 'demo'))
    os.symlink(osp.join(ROOT, 'configs'), tmp_path / 'configs')
    monkeypatch.chdir(tmp_path)
    cfg = load_run_config(
        baseline('hps', 'ssv2'),
        work_dir=str(tmp_path / 'work_dir'),
        cfg_options={
            'train_cfg.max_iters': 4,
            'train_cfg.val_interval': 100,
            'param_scheduler': [],
            'default_hooks.logger.interval': 1,
            'train_dataloader.batch_size': 2,
            'train_dataloader.num_workers': 0,
            'train_dataloader.persistent_workers': False,
            'train_cfg.other_dataloaders.ava.batch_size': 2,
        },
    )
    cfg.model = without_checkpoints(cfg.model.to_dict())
    runner = Runner.from_cfg(cfg)
    runner.train()
    logged = runner.message_hub.log_scalars
    assert 'train/ssv2.loss_cls' in logged
    assert any(key.startswith('train/ava.') for key in logged)

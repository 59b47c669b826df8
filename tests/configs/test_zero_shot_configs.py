"""The zero-shot configs (the paper's Table 2) and the held-out single-task configs they
use build, and the prompts of each primary fit the held-out model they are loaded into."""

from __future__ import annotations

import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import dlm_core  # noqa: F401
from dlm_core.prompt_io import save_prompt_file
from dlm_core.registry import MODELS
from dlm_core.tasks import build_task
from tests.helpers.paths import ROOT

ZERO_SHOT = {  # config: (held-out set, primary whose DLM prompts it loads)
    'ucf101_ssv2_prompts': ('ucf101', 'ssv2'),
    'hmdb51_ssv2_prompts': ('hmdb51', 'ssv2'),
    'ava_kinetics_ava_prompts': ('ava_kinetics', 'ava'),
    'breakfast_50salads_prompts': ('breakfast', '50salads'),
    'gtea_50salads_prompts': ('gtea', '50salads'),
}


def primary_plugin(primary: str):
    """The primary's demo plugin (random weights) as a DLM run with it builds it."""
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'tasks', f'{primary}_demo.py'))
    init_default_scope(cfg.default_scope)
    return build_task(dict(type=PLUGINS[primary], model=cfg.model))


PLUGINS = {
    'ssv2': 'tasks_recognition.ActionRecognitionTask',
    'ava': 'tasks_detection.SpatioTemporalDetectionTask',
    '50salads': 'tasks_segmentation.ActionSegmentationTask',
}


@pytest.mark.parametrize('name', ZERO_SHOT)
def test_zero_shot_config_loads_the_primarys_prompts(name, tmp_path, monkeypatch):
    held_out, primary = ZERO_SHOT[name]
    monkeypatch.chdir(ROOT)
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'zero_shot', f'{name}.py'))
    assert cfg.model.prompt_file == f'work_dirs/{primary}_aux5/prompts_latest.pth'
    assert cfg.test_dataloader.dataset.ann_file.startswith(f'data/demo/{held_out}/') or (
        cfg.test_dataloader.dataset.get('data_root', '') == f'data/demo/{held_out}'
    )
    source = primary_plugin(primary)
    prompts = torch.randn(8, source.embed_dim)
    prompt_file = str(tmp_path / 'prompts.pth')
    save_prompt_file(prompt_file, prompts, source.prompt_layer, {})

    init_default_scope(cfg.default_scope)
    model_cfg = cfg.model.to_dict()
    model_cfg['task']['checkpoint'] = None  # no trained model here: shapes only
    model_cfg['prompt_file'] = prompt_file
    model = MODELS.build(model_cfg)
    assert torch.equal(model.prompts, prompts)
    assert model.prompt_layer == source.prompt_layer
    assert model.task.embed_dim == source.embed_dim
    assert model.trainable_parameters == 0

    model_cfg['prompt_file'] = None  # the "Original" row: the plain held-out model
    assert MODELS.build(model_cfg).prompts.numel() == 0

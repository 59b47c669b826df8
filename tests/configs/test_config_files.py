"""Every config file loads on its own, from any working directory.

Configs share blocks through ``_base_`` files (configs/_base_/), and one of those reads the
ASFormer recipe that ships inside tasks_segmentation; none may reach into packages/ by a
relative path, which only works from a source checkout laid out like this one.
"""

from __future__ import annotations

import glob
import os.path as osp
from pathlib import Path

import pytest
from mmengine.config import Config

from tests.helpers.paths import ROOT

ALL_FILES = sorted(
    glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    + glob.glob(osp.join(ROOT, 'packages', '*', '*', 'configs', '**', '*.py'), recursive=True)
)
# what a user passes to the tools: every file outside a _base_ folder
RUNNABLE = [p for p in ALL_FILES if '_base_' not in osp.relpath(p, ROOT).split(osp.sep)[:-1]]


@pytest.mark.parametrize('path', RUNNABLE, ids=lambda p: osp.relpath(p, ROOT))
def test_the_config_loads_from_another_working_directory(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = Config.fromfile(path, import_custom_modules=False)
    assert 'model' in cfg


def test_no_config_reaches_into_packages_by_a_relative_path():
    offenders = [osp.relpath(p, ROOT) for p in ALL_FILES if '/packages/' in Path(p).read_text()]
    assert not offenders, offenders


def test_the_real_asformer_configs_take_the_recipe_that_ships_with_the_package():
    import tasks_segmentation

    recipe = Config.fromfile(
        osp.join(osp.dirname(tasks_segmentation.__file__), 'configs', 'asformer_ms_tcn.py')
    )
    real = Config.fromfile(osp.join(ROOT, 'configs', 'tasks', 'real', 'asformer_breakfast.py'))
    assert real.model.backbone.num_layers == recipe.model.backbone.num_layers == 10
    assert real.custom_hooks == recipe.custom_hooks
    assert real.optim_wrapper.optimizer.lr == 1e-4  # Breakfast's own change on top


# bases that define helper keys only: a config lists one beside its primary's config and sets
# its own keys from them, so none may define a key that a task config defines (MMEngine
# refuses two bases sharing a key)
HELPER_BASES = sorted(
    glob.glob(osp.join(ROOT, 'configs', '_base_', 'schedules', '*.py'))
    + glob.glob(osp.join(ROOT, 'configs', '_base_', 'baselines', '*.py'))
    + [osp.join(ROOT, 'configs', 'dlm', '_base_', 'multi_task_prompt_model.py')]
)
TASK_CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'tasks', '**', '*.py'), recursive=True))


def test_helper_bases_define_no_key_that_a_task_config_defines():
    task_keys = set()
    for path in TASK_CONFIGS:
        task_keys |= set(Config.fromfile(path, import_custom_modules=False))
    assert len(HELPER_BASES) >= 4
    for path in HELPER_BASES:
        keys = set(Config.fromfile(path, import_custom_modules=False))
        assert keys, path
        assert not keys & task_keys, (osp.relpath(path, ROOT), sorted(keys & task_keys))

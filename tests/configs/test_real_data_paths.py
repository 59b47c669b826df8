"""``--cfg-options data_root=...`` moves every path of a real-size config (issue #19).

The configs compute their paths when the file is read, so before the tools rebased them an
overridden ``data_root`` changed nothing: the run read the old files. Here every path of
the dataloaders and evaluators must start with the new root, an override that reaches no
path is an error, and the README's real-data commands are run as a user types them.
"""

from __future__ import annotations

import os
import os.path as osp
import re
import subprocess
import sys

import pytest

from dlm_core.config_roots import path_fields
from dlm_core.errors import ConfigError
from dlm_core.run_config import DictAction, load_run_config
from tests.helpers.paths import ROOT

NEW = '/datasets/moved'
RUN_SECTIONS = ('train_dataloader', 'val_dataloader', 'test_dataloader', 'val_evaluator',
                'test_evaluator')  # fmt: skip
CONFIGS = [
    'configs/tasks/real/vit_b_ssv2.py',
    'configs/tasks/real/vit_b_ucf101.py',
    'configs/tasks/real/vit_b_hmdb51.py',
    'configs/tasks/real/vit_b_ava.py',
    'configs/tasks/real/vit_b_thumos14.py',
    'configs/tasks/real/asformer_50salads.py',
    'configs/tasks/real/asformer_breakfast.py',
    'configs/tasks/real/asformer_gtea.py',
    'configs/tasks/real/transvod_r50_imagenet_vid.py',
    'configs/tasks/real/mask2former_r50_youtube_vis.py',
    'configs/dlm/real/ssv2_aux5.py',
    'configs/dlm/real/ava_aux5.py',
    'configs/dlm/real/thumos14_aux5.py',
    'configs/dlm/real/50salads_aux5.py',
    'configs/dlm/real/imagenet_vid_aux5.py',
    'configs/dlm/real/youtube_vis_aux5.py',
]


def run_paths(cfg) -> dict[str, str]:
    """``{dotted key: value}`` of the data paths of the dataloaders and evaluators."""
    paths = {}
    for section in RUN_SECTIONS:
        node = cfg.get(section)
        for where in path_fields({section: node}) if node is not None else ():
            value = node
            for part in re.findall(r'[^.\[\]]+', where)[1:]:
                value = value[int(part)] if part.isdigit() else value[part]
            paths[where] = value
    return paths


@pytest.mark.parametrize('config', CONFIGS)
def test_data_root_reaches_every_dataset_and_evaluator_path(config):
    before = run_paths(load_run_config(osp.join(ROOT, config)))
    cfg = load_run_config(osp.join(ROOT, config), cfg_options={'data_root': NEW})
    after = run_paths(cfg)
    assert before and before.keys() == after.keys()
    old_root = load_run_config(osp.join(ROOT, config)).data_root.rstrip('/')
    for where, path in after.items():
        if osp.isabs(path) or path.startswith(old_root):
            assert path.startswith(NEW), f'{config}: {where} = {path} stays outside {NEW}'
            assert path[len(NEW) :] == before[where][len(old_root) :], (where, path)
        else:  # relative to its dataset's data_root, which moved
            section = where.split('.')[0]
            roots = [v for k, v in after.items() if k.startswith(section) and k.endswith('root')]
            assert roots and all(r.startswith(NEW) for r in roots), (where, roots)


def test_an_explicit_key_keeps_the_value_given():
    config = osp.join(ROOT, 'configs/tasks/real/vit_b_ssv2.py')
    mine = '/elsewhere/my_train_list.txt'
    options = {'data_root': NEW, 'train_dataloader.dataset.ann_file': mine}
    cfg = load_run_config(config, cfg_options=options)
    assert cfg.train_dataloader.dataset.ann_file == mine
    assert cfg.val_dataloader.dataset.ann_file == f'{NEW}/sthv2_val_list_videos.txt'
    assert cfg.train_dataloader.dataset.data_prefix.video == f'{NEW}/videos'


def test_a_derived_root_moves_with_its_parent():
    cfg = load_run_config(
        osp.join(ROOT, 'configs/tasks/real/vit_b_ava.py'), cfg_options={'data_root': NEW}
    )
    assert cfg.anno_root == f'{NEW}/annotations'
    assert cfg.val_evaluator.ann_file == f'{NEW}/annotations/ava_val_v2.2.csv'
    assert cfg.val_evaluator.exclude_file.startswith(f'{NEW}/annotations/')


def test_a_root_the_config_does_not_define_is_an_error(tmp_path):
    config = tmp_path / 'run.py'
    config.write_text("train_dataloader = dict(dataset=dict(ann_file='data/x/train.txt'))\n")
    with pytest.raises(ConfigError, match="no top-level 'data_root' variable") as err:
        load_run_config(str(config), cfg_options={'data_root': NEW})
    assert 'train_dataloader.dataset.ann_file' in str(err.value)


def test_a_root_that_reaches_no_path_is_an_error(tmp_path):
    config = tmp_path / 'run.py'
    config.write_text(
        "data_root = 'data/x'\ntrain_dataloader = dict(dataset=dict(ann_file='/abs/train.txt'))\n"
    )
    with pytest.raises(ConfigError, match='would change nothing') as err:
        load_run_config(str(config), cfg_options={'data_root': NEW})
    assert 'train_dataloader.dataset.ann_file' in str(err.value)


def test_a_root_given_the_value_it_already_has_is_no_error(tmp_path):
    # a derived config written with its paths already rebased (the benchmark's calibration
    # run) is run with the same data_root again: nothing to rebase, nothing lost
    config = tmp_path / 'run.py'
    config.write_text(
        "data_root = 'data/x'\ntrain_dataloader = dict(dataset=dict(ann_file='/abs/train.txt'))\n"
    )
    cfg = load_run_config(str(config), cfg_options={'data_root': 'data/x'})
    assert cfg.data_root == 'data/x' and cfg.train_dataloader.dataset.ann_file == '/abs/train.txt'


def test_the_option_parses_as_the_tools_parse_it():
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    options = parser.parse_args(['--cfg-options', f'data_root={NEW}']).cfg_options
    cfg = load_run_config(osp.join(ROOT, 'configs/tasks/real/vit_b_thumos14.py'), None, options)
    assert cfg.train_dataloader.dataset.ann_file == f'{NEW}/annotations/thumos14.json'


def readme_commands() -> list[str]:
    with open(osp.join(ROOT, 'README.md')) as handle:
        text = handle.read()
    block = text.split('<!-- real-data-commands -->')[1].split('<!-- /real-data-commands -->')[0]
    return [line for line in block.splitlines() if line.startswith('python tools/')]


def test_the_readme_shows_one_command_per_dataset():
    configs = [cmd.split()[2] for cmd in readme_commands()]
    assert len(configs) == 6
    for config in configs:
        assert osp.isfile(osp.join(ROOT, config)), config


@pytest.mark.parametrize('command', readme_commands(), ids=lambda c: c.split()[2])
def test_the_readme_real_data_command_reaches_the_new_root(command, tmp_path):
    """Run as typed (in the repository root): with no dataset at the new root the tool stops
    with one error naming a file under that root, and writes no work dir."""
    argv = command.split()
    new_root = argv[-1].split('=', 1)[1]
    assert not osp.exists(new_root)
    work_dir = osp.join(ROOT, 'work_dirs', osp.splitext(osp.basename(argv[2]))[0])
    existed = osp.exists(work_dir)
    env = dict(os.environ, OMP_NUM_THREADS='1')
    result = subprocess.run(
        [sys.executable, *argv[1:]], cwd=ROOT, capture_output=True, text=True, env=env,
        timeout=300,
    )  # fmt: skip
    errors = [line for line in result.stderr.splitlines() if line.startswith('error: ')]
    assert result.returncode == 2, result.stderr[-2000:]
    assert len(errors) == 1 and 'Traceback' not in result.stderr, result.stderr[-2000:]
    assert new_root in errors[0], errors[0]
    assert existed or not osp.exists(work_dir)

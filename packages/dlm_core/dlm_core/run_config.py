"""Loading a run config the way OpenMMLab tools do (shared by tools/train.py and test.py)."""

from __future__ import annotations

import os
import os.path as osp

import torch
import torch.distributed as torch_dist
from mmengine.config import Config, DictAction

from .config_roots import apply_root_overrides, root_overrides
from .errors import MissingFileError
from .registry import SCOPE

__all__ = ['DictAction', 'add_common_arguments', 'load_run_config']


def add_common_arguments(parser) -> None:
    """``--work-dir``, ``--cfg-options`` and ``--launcher``, as in mmaction2's tools."""
    parser.add_argument(
        '--work-dir', help='directory for logs and checkpoints (default: ./work_dirs/<config name>)'
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        default={},
        help='override config entries, e.g. model.mapper.num_prompts=4 '
        "train_dataloader.batch_size=2 'model.auxiliaries=[...]'",
    )
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher: pytorch for torchrun, slurm for srun',
    )
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def load_run_config(
    config: str,
    work_dir: str | None = None,
    cfg_options: dict | None = None,
    launcher: str = 'none',
) -> Config:
    """Read ``config``, apply overrides and fill what a Runner needs.

    An overridden top-level ``*_root`` (``data_root=/datasets/ssv2``) also moves every path
    the config derived from it (:func:`~dlm_core.config_roots.apply_root_overrides`).
    """
    if not osp.isfile(config):
        raise MissingFileError(f'config file not found: {config}')
    cfg = Config.fromfile(config)
    if cfg_options:
        old_roots = {key: cfg.get(key) for key in root_overrides(cfg_options)}
        cfg.merge_from_dict(cfg_options)
        moved = apply_root_overrides(cfg, old_roots, cfg_options)
        if moved:  # logged by validate_run, so that the run's log file has it too
            cfg.root_overrides = moved
    cfg.setdefault('default_scope', SCOPE)
    _add_tap_cache_hook(cfg)
    cfg.launcher = launcher
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = '0'
    if launcher == 'pytorch' and not torch.cuda.is_available():
        _prepare_cpu_distributed(cfg)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config))[0])
    return cfg


def _add_tap_cache_hook(cfg: Config) -> None:
    """A model with a tap cache needs the hook that attaches it to the run."""
    model = cfg.get('model')
    if not (isinstance(model, dict) and model.get('tap_cache')):
        return
    hooks = list(cfg.get('custom_hooks') or [])
    names = [getattr(h.get('type'), '__name__', str(h.get('type'))) for h in hooks]
    if not any(name.rpartition('.')[2] == 'TapCacheHook' for name in names):
        cfg.custom_hooks = [*hooks, dict(type='dlm.TapCacheHook')]


def _prepare_cpu_distributed(cfg: Config) -> None:
    """Let ``--launcher pytorch`` run on CPU-only machines (gloo; tests, debugging).

    MMEngine's pytorch launcher calls ``torch.cuda.set_device`` and gives DDP a device id,
    both of which fail without CUDA. The process group is created here (the Runner then
    skips its own) and DDP gets ``device_ids=None``, as PyTorch requires for CPU modules.
    """
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(backend='gloo')
    wrapper = dict(cfg.get('model_wrapper_cfg') or dict(type='MMDistributedDataParallel'))
    wrapper.setdefault('device_ids', None)
    cfg.model_wrapper_cfg = wrapper

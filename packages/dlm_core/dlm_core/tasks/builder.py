"""Building task plugins, optionally from the single-task config they wrap."""

from __future__ import annotations

import os.path as osp

from mmengine.config import Config

from ..errors import ConfigError, MissingFileError
from ..registry import TASKS, build_from


def resolve_task_config(cfg: dict) -> dict:
    """Fill a plugin config from ``task_config``, the single-task config it wraps.

    ``dict(type='tasks_recognition.ActionRecognitionTask',
    task_config='configs/tasks/ssv2_demo.py')`` takes that config's ``model``, uses the
    work dir of its training run as the checkpoint (the file its ``last_checkpoint``
    names) and the command that trains it as the hint shown when it is missing (no
    checkpoint with ``random_init=True``). Keys given explicitly win.
    """
    cfg = dict(cfg)
    path = cfg.pop('task_config', None)
    if path is None:
        return cfg
    if not osp.isfile(path):
        raise MissingFileError(f'{cfg.get("type")}: task_config {path} does not exist')
    task = Config.fromfile(path)
    if 'model' not in task:
        raise ConfigError(f'task_config {path} defines no "model"')
    name = osp.splitext(osp.basename(path))[0]
    cfg.setdefault('model', task.model)
    if not cfg.get('random_init'):  # the random control loads no checkpoint
        cfg.setdefault('checkpoint', task.get('work_dir') or osp.join('work_dirs', name))
    cfg.setdefault('checkpoint_hint', f'python tools/train.py {path}')
    return cfg


def build_task(cfg: dict):
    """Build a task plugin from ``TASKS`` (after :func:`resolve_task_config`)."""
    return build_from(TASKS, resolve_task_config(cfg))

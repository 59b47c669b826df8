"""Helpers of the video instance segmentation tests: the demo config's model and small
demo sets written once per test session."""

from __future__ import annotations

import copy
import functools
import os.path as osp
import random
import tempfile

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope

import tasks_segmentation  # noqa: F401  (its registries reach the plugin and the dataset)
from dlm_core.registry import TASKS, build_from
from tasks_segmentation.demo.youtube_vis import write_demo
from tasks_segmentation.registry import DATASETS

DEMO_CONFIG = 'configs/tasks/youtube_vis_demo.py'
REAL_CONFIG = 'configs/tasks/real/mask2former_r50_youtube_vis.py'
PLUGIN = 'tasks_segmentation.VideoInstanceSegmentationTask'
_SETS: dict = {}


def demo_config() -> Config:
    return Config.fromfile(DEMO_CONFIG)


def model_config(num_layers: int | None = None, num_queries: int | None = None) -> dict:
    """The demo config's Mask2FormerVideo, optionally with another depth or query count."""
    model = copy.deepcopy(demo_config().model.to_dict())
    if num_layers is not None:
        model['track_head']['transformer_decoder']['num_layers'] = num_layers
    if num_queries is not None:
        model['track_head']['num_queries'] = num_queries
    return model


def build_plugin(seed: int = 0, **kwargs):
    torch.manual_seed(seed)
    view = {k: kwargs.pop(k) for k in ('view_size', 'view_frames') if k in kwargs}
    return build_from(TASKS, dict(type=PLUGIN, model=model_config(**kwargs), **view)).eval()


def demo_set(num_train: int = 16, num_valid: int = 4, seed: int = 0) -> str:
    """A small demo youtube_vis set (as many pretraining scenes as training videos), written
    once per session; returns its folder."""
    key = (num_train, num_valid, seed)
    if key not in _SETS:
        root = tempfile.mkdtemp(prefix='vis_demo_')
        _SETS[key] = write_demo(
            'youtube_vis',
            root,
            seed=seed,
            num_videos=dict(train=num_train, valid=num_valid, pretrain=num_train),
        )
    return _SETS[key]


@functools.lru_cache(maxsize=8)
def dataset(root: str, split: str = 'train'):
    """The demo config's dataset of ``split`` on the set at ``root`` (built once)."""
    cfg = demo_config()
    loader = cfg.train_dataloader if split == 'train' else cfg.val_dataloader
    dataset_cfg = copy.deepcopy(loader.dataset.to_dict())
    dataset_cfg['data_root'] = root
    with DefaultScope.overwrite_default_scope('tasks_segmentation'):
        return DATASETS.build(dataset_cfg)


def batch(plugin, root: str, indices=(0, 1), split: str = 'train', seed: int = 0):
    """A preprocessed batch ``(inputs (B, T, 3, H, W), data samples)`` of the demo set."""
    torch.manual_seed(seed)
    data = dataset(root, split)
    random.seed(seed)
    np.random.seed(seed)
    collated = pseudo_collate([data[i] for i in indices])
    out = plugin.data_preprocessor(collated, split == 'train')
    return out['inputs'], out['data_samples']


def ann_path(root: str, split: str = 'train') -> str:
    return osp.join(root, f'{split}.json')

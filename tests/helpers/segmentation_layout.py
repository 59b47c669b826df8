"""A tiny MS-TCN layout (features, ground truth, mapping, split bundle) under tmp_path and
the dataset that reads it, for the segmentation dataset and annotation-check tests."""

import os

import numpy as np
from mmengine.registry import DefaultScope

import tasks_segmentation  # noqa: F401
from tasks_segmentation.registry import DATASETS

CLASSES = ['take', 'pour', 'background']


def write_layout(root, videos=None, channels=4):
    """A tiny dataset: ``videos`` maps a name to its per-frame class names."""
    videos = videos or {
        'S1_Tea_C1': ['background'] * 3 + ['take'] * 4 + ['pour'] * 3,
        'S2_Tea_C1': ['take'] * 5 + ['background'] * 2,
    }
    for sub in ('features', 'groundTruth', 'splits'):
        os.makedirs(root / sub, exist_ok=True)
    with open(root / 'mapping.txt', 'w') as f:
        f.write(''.join(f'{i} {name}\n' for i, name in enumerate(CLASSES)))
    for index, (video, labels) in enumerate(videos.items()):
        features = np.arange(channels * len(labels), dtype=np.float32).reshape(channels, -1)
        np.save(root / 'features' / f'{video}.npy', features + index)
        with open(root / 'groundTruth' / f'{video}.txt', 'w') as f:
            f.write(''.join(f'{label}\n' for label in labels))
    with open(root / 'splits' / 'train.split1.bundle', 'w') as f:
        f.write(''.join(f'{video}.txt\n' for video in videos))
    return root


def dataset_config(root, pipeline: list, **changes) -> dict:
    """The ``ActionSegmentationDataset`` config of the layout written under ``root``."""
    cfg = dict(
        type='ActionSegmentationDataset',
        data_root=str(root),
        ann_file='splits/train.split1.bundle',
        pipeline=pipeline,
    )
    cfg.update(changes)
    return cfg


def build(root, **kwargs):
    pipeline = [dict(type='LoadSegmentationFeatures'), dict(type='PackSegmentationInputs')]
    cfg = dataset_config(root, pipeline, **kwargs)
    with DefaultScope.overwrite_default_scope('tasks_segmentation'):
        return DATASETS.build(cfg)

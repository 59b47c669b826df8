"""The MS-TCN layout reader: what it loads, and errors that name the broken file."""

import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope

import tasks_segmentation  # noqa: F401
from tasks_segmentation.registry import MODELS
from tests.helpers.segmentation_layout import CLASSES, build, write_layout


def test_reads_the_layout(tmp_path):
    dataset = build(write_layout(tmp_path))
    assert len(dataset) == 2
    assert dataset.metainfo['classes'] == tuple(CLASSES)
    item = dataset[0]
    assert item['inputs']['features'].shape == (4, 10)
    assert item['data_samples'].gt_labels.tolist() == [2, 2, 2, 0, 0, 0, 0, 1, 1, 1]
    assert item['data_samples'].metainfo['video'] == 'S1_Tea_C1'


def test_sample_rate_takes_every_nth_feature_and_keeps_full_rate_labels(tmp_path):
    dataset = build(write_layout(tmp_path), sample_rate=2)
    item = dataset[0]
    assert item['inputs']['features'].shape == (4, 5)
    assert item['inputs']['features'][0].tolist() == [0, 2, 4, 6, 8]
    assert len(item['data_samples'].gt_labels) == 10
    with DefaultScope.overwrite_default_scope('tasks_segmentation'):
        model = MODELS.build(
            dict(
                type='ActionSegmentor',
                backbone=dict(
                    type='ASFormer',
                    in_channels=4,
                    num_classes=3,
                    embed_dims=8,
                    num_layers=2,
                    num_decoders=1,
                ),
            )
        ).eval()
    data = model.data_preprocessor(pseudo_collate([dataset[0], dataset[1]]))
    assert data['inputs']['features'].shape == (2, 4, 5)
    assert data['inputs']['masks'].sum(1).tolist() == [5, 4]
    losses = model(**data, mode='loss')
    assert torch.isfinite(sum(losses.values()))
    predictions = model(**data, mode='predict')
    # predictions come back at the ground truth's frame rate (each repeated twice, cut)
    assert [len(p.pred_labels) for p in predictions] == [10, 7]


def test_feature_length_disagreeing_with_labels_names_both_files(tmp_path):
    root = write_layout(tmp_path)
    np.save(root / 'features' / 'S2_Tea_C1.npy', np.zeros((4, 9), np.float32))
    with pytest.raises(
        ValueError, match=r'S2_Tea_C1\.npy has 9 frames .* but \S*S2_Tea_C1\.txt labels 7'
    ):
        build(root)
    dataset = build(root, length_tolerance=2)  # tolerated: cut to the shorter one
    assert dataset[1]['inputs']['features'].shape == (4, 7)


def test_label_missing_from_the_mapping_names_file_line_and_mapping(tmp_path):
    root = write_layout(tmp_path, {'S1_Coffee_C1': ['take', 'stir', 'stir']})
    with pytest.raises(KeyError, match=r"S1_Coffee_C1\.txt: line 2 has label 'stir'.*mapping\.txt"):
        build(root)


def test_bundle_naming_a_missing_video_names_the_bundle(tmp_path):
    root = write_layout(tmp_path)
    with open(root / 'splits' / 'train.split1.bundle', 'a') as f:
        f.write('S9_Ghost_C1.txt\n')
    with pytest.raises(
        FileNotFoundError,
        match=r"train\.split1\.bundle names video 'S9_Ghost_C1'.*S9_Ghost_C1\.npy",
    ):
        build(root)


def test_malformed_mapping_and_features_name_the_file(tmp_path):
    root = write_layout(tmp_path)
    with open(root / 'mapping.txt', 'a') as f:
        f.write('three stir\n')
    with pytest.raises(ValueError, match=r'mapping\.txt: line 4 .*expected "<index> <class name>"'):
        build(root)
    root = write_layout(tmp_path / 'other')
    np.save(root / 'features' / 'S1_Tea_C1.npy', np.zeros((4, 10, 1), np.float32))
    with pytest.raises(
        ValueError, match=r'S1_Tea_C1\.npy: features must be an array of shape \(C, T\)'
    ):
        build(root)
    with pytest.raises(FileNotFoundError, match='split bundle not found: .*test.split3.bundle'):
        build(root, ann_file='splits/test.split3.bundle')

"""THUMOS14 layout: json checks naming file and field, the feature pipeline, the demo set
and the deterministic feature extractor it is made with."""

import json
import os

import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope

from tasks_detection.datasets import Thumos14Dataset, read_thumos14_json
from tasks_detection.datasets.transforms import LoadSnippetFeatures, RandomTruncateFeatures
from tasks_detection.demo.thumos14 import CLASSES, write_demo
from tasks_detection.models import GridMotionExtractor
from tests.helpers.digests import folder_digest

VIDEO = dict(
    subset='Test',
    duration=20.0,
    fps=30.0,
    annotations=[dict(label='Jump', segment=[2.0, 5.5], label_id=0)],
)


def write(tmp_path, database):
    path = tmp_path / 'thumos14.json'
    path.write_text(json.dumps(dict(database=database)))
    return str(path)


@pytest.mark.parametrize(
    'change, where, what',
    [
        (dict(duration=-1), r'database\["v1"\]\.duration', 'positive number'),
        (dict(fps=0), r'database\["v1"\]\.fps', 'positive number'),
        (
            dict(annotations=[dict(label='Jump', segment=[6.0, 5.0], label_id=0)]),
            r'annotations\[0\]\.segment',
            r't_start < t_end',
        ),
        (
            dict(annotations=[dict(label='Jump', segment=[25.0, 26.0], label_id=0)]),
            r'annotations\[0\]\.segment',
            r'duration 20.0',
        ),
        (
            dict(annotations=[dict(label='Jump', segment='2-5', label_id=0)]),
            r'annotations\[0\]\.segment',
            r'\[t_start, t_end\]',
        ),
        (dict(annotations=[dict(segment=[1, 2])]), r'annotations\[0\]\.label', 'class name'),
    ],
)
def test_malformed_entries_name_file_and_field(tmp_path, change, where, what):
    path = write(tmp_path, dict(v1=dict(VIDEO, **change)))
    with pytest.raises(ValueError, match=rf'thumos14.json: .*{where}: .*{what}'):
        read_thumos14_json(path)


def test_missing_field_and_conflicting_label_ids(tmp_path):
    video = dict(VIDEO)
    del video['subset']
    with pytest.raises(
        ValueError, match=r'thumos14.json: database\["v1"\]: missing field "subset"'
    ):
        read_thumos14_json(write(tmp_path, dict(v1=video)))
    other = dict(VIDEO, annotations=[dict(label='Jump', segment=[1, 2], label_id=3)])
    with pytest.raises(ValueError, match=r'label_id.*"Jump" has label_id 3 here and 0 before'):
        read_thumos14_json(write(tmp_path, dict(v1=VIDEO, v2=other)))


def test_classes_come_from_the_config_not_the_label_ids(tmp_path):
    # the json orders Run before Jump by label_id; the config's order is what counts
    run = dict(VIDEO, annotations=[dict(label='Run', segment=[1, 2], label_id=0)])
    jump = dict(VIDEO, annotations=[dict(label='Jump', segment=[1, 2], label_id=1)])
    with DefaultScope.overwrite_default_scope('tasks_detection'):
        dataset = Thumos14Dataset(
            ann_file=write(tmp_path, dict(a=jump, b=run)),
            subset='Test',
            metainfo=dict(classes=('Jump', 'Run')),
            pipeline=[],
        )
    assert dataset.metainfo['classes'] == ('Jump', 'Run')
    assert [d['labels'] for d in dataset] == [[0], [1]]


def test_features_and_segments_on_the_feature_grid(tmp_path):
    path = write(tmp_path, dict(v1=VIDEO))
    np.save(tmp_path / 'v1.npy', np.random.rand(146, 7).astype(np.float32))
    with DefaultScope.overwrite_default_scope('tasks_detection'):
        dataset = Thumos14Dataset(
            ann_file=path,
            subset='Test',
            data_prefix=dict(feat=str(tmp_path)),
            metainfo=dict(classes=('Jump',)),
            pipeline=[dict(type='LoadSnippetFeatures'), dict(type='PackTemporalDetectionInputs')],
        )
    item = dataset[0]
    assert item['inputs'].shape == (7, 146)
    # ActionFormer's convention: (seconds * fps - num_frames / 2) / feat_stride
    expected = [(2.0 * 30 - 8) / 4, (5.5 * 30 - 8) / 4]
    torch.testing.assert_close(
        item['data_samples'].gt_instances.segments[0], torch.tensor(expected)
    )
    assert item['data_samples'].metainfo['feat_len'] == 146
    assert dataset.metainfo['classes'] == ('Jump',)


def test_unreadable_features_name_the_file(tmp_path):
    (tmp_path / 'bad.npy').write_text('not numpy')
    results = dict(feat_path=str(tmp_path / 'bad.npy'), feat_stride=4, fps=30.0, num_frames=16)
    with pytest.raises(ValueError, match=r'bad.npy: cannot read'):
        LoadSnippetFeatures()(results)


def test_random_truncation_keeps_an_action_and_shifts_the_grid():
    np.random.seed(0)
    results = dict(
        features=np.random.rand(3, 400).astype(np.float32),
        gt_segments=np.array([[10.0, 30.0], [300.0, 340.0]], np.float32),
        gt_labels=np.array([0, 1]),
        feat_offset=0,
    )
    for _ in range(20):
        out = RandomTruncateFeatures(max_seq_len=100)(dict(results))
        assert out['features'].shape == (3, 100) and out['feat_len'] == 100
        assert len(out['gt_labels']) >= 1
        start = out['feat_offset']
        np.testing.assert_array_equal(out['features'], results['features'][:, start : start + 100])
        assert (out['gt_segments'] >= 0).all() and (out['gt_segments'] <= 100).all()


def test_demo_is_deterministic_and_consistent(tmp_path):
    assert write_demo('thumos14', str(tmp_path / 'a'), seed=3, limit=2) == 4
    write_demo('thumos14', str(tmp_path / 'b'), seed=3, limit=2)
    write_demo('thumos14', str(tmp_path / 'c'), seed=4, limit=2)
    assert (
        folder_digest(tmp_path / 'a')
        == folder_digest(tmp_path / 'b')
        != folder_digest(tmp_path / 'c')
    )
    database = read_thumos14_json(str(tmp_path / 'a/annotations/thumos14.json'))
    labels = {a['label'] for v in database.values() for a in v['annotations']}
    assert labels <= set(CLASSES)
    assert {v['subset'] for v in database.values()} == {'Validation', 'Test'}
    for vid, video in database.items():
        features = np.load(tmp_path / 'a/features' / f'{vid}.npy')
        # one snippet of 4 frames every 2 frames at 10 fps
        assert features.shape == ((round(video['duration'] * 10) - 4) // 2 + 1, 128)
        segments = [a['segment'] for a in video['annotations']]
        assert segments and all(0 < t0 < t1 <= video['duration'] for t0, t1 in segments)
        assert all(b[0] >= a[1] + 1.0 - 1e-6 for a, b in zip(segments, segments[1:]))
        assert os.path.getsize(tmp_path / 'a/videos' / f'{vid}.mp4') > 0


def test_grid_motion_extractor_measures_motion_on_any_clip():
    extractor = GridMotionExtractor(snippet_len=4, stride=2, out_channels=None)
    yy, xx = torch.meshgrid(torch.arange(60.0), torch.arange(80.0), indexing='ij')
    frames = torch.stack(
        [torch.exp(-((xx - 20 - 2 * t) ** 2 + (yy - 30) ** 2) / 60) for t in range(10)]
    )
    clip = frames[None, :, None].expand(1, 10, 3, 60, 80)  # a blob moving right
    raw = extractor(clip)
    assert raw.shape == (1, 96, 4)
    cells = extractor.grid**2
    u, v = raw[0, 3 * cells : 4 * cells], raw[0, 4 * cells : 5 * cells]
    moving = u.abs() > 0.1
    assert moving.any() and (u[moving] > 0).all() and (v.abs() < u.abs().max()).all()
    left = extractor(clip.flip(-1))[0, 3 * cells : 4 * cells]
    assert (left[left.abs() > 0.1] < 0).all()
    projected = GridMotionExtractor(snippet_len=4, stride=2, out_channels=32, seed=1)
    again = GridMotionExtractor(snippet_len=4, stride=2, out_channels=32, seed=1)
    torch.testing.assert_close(projected(clip), again(clip), rtol=0, atol=0)
    assert projected(clip[:, :2]).shape == (1, 32, 1)  # shorter than a snippet: padded


def test_frames_load_aligned_with_the_features(tmp_path):
    from tasks_detection.models import TemporalFeaturePreprocessor

    write_demo('thumos14', str(tmp_path), seed=0, limit=1)
    np.random.seed(0)
    with DefaultScope.overwrite_default_scope('tasks_detection'):
        dataset = Thumos14Dataset(
            ann_file=str(tmp_path / 'annotations/thumos14.json'),
            data_prefix=dict(feat=str(tmp_path / 'features'), video=str(tmp_path / 'videos')),
            feat_stride=2,
            num_frames=4,
            metainfo=dict(classes=tuple(CLASSES)),
            pipeline=[
                dict(type='LoadSnippetFeatures'),
                dict(type='LoadSnippetFrames', size=32),
                dict(type='RandomTruncateFeatures', max_seq_len=40),
                dict(type='PackTemporalDetectionInputs'),
            ],
        )
    item = dataset[0]
    features, frames = item['inputs']['features'], item['inputs']['frames']
    assert features.shape == (128, 40) and frames.shape == (40, 3, 32, 32)
    assert frames.dtype == torch.uint8
    batch = TemporalFeaturePreprocessor()(dict(inputs=[item['inputs']], data_samples=[None]))
    assert batch['inputs']['frames'].shape == (1, 40, 3, 32, 32)
    assert 0 <= batch['inputs']['frames'].min() < batch['inputs']['frames'].max() <= 1

"""AVA layout: row checks naming file and line, mmaction2's datasets on the demo sets, and
the demo generator (deterministic, labels consistent by construction)."""

import csv
import os
import pickle

import numpy as np
import pytest
from mmengine.registry import DefaultScope

from tasks_detection.datasets import (
    AVAAnnotationError,
    ValidatedAVADataset,
    ValidatedAVAKineticsDataset,
)
from tasks_detection.demo.ava import ACTIONS, write_demo
from tests.helpers.digests import folder_digest

GOOD = 'vid_a,0902,0.1,0.2,0.4,0.6,3,0'


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp('ava_demo')
    write_demo('ava', str(root / 'ava'), seed=5, limit=2)
    write_demo('ava_kinetics', str(root / 'ava_kinetics'), seed=5, limit=2)
    return root


def ava_files(root, split='train'):
    ann = os.path.join(root, 'annotations')
    return dict(
        ann_file=os.path.join(ann, f'ava_{split}_v2.2.csv'),
        exclude_file=os.path.join(ann, f'ava_{split}_excluded_timestamps_v2.2.csv'),
        label_file=os.path.join(ann, 'ava_action_list_v2.2_for_activitynet_2019.pbtxt'),
        proposal_file=os.path.join(ann, f'ava_dense_proposals_{split}.FAIR.recall_93.9.pkl'),
        data_prefix=dict(img=os.path.join(root, 'rawframes')),
    )


PIPELINE = [
    dict(type='mmaction.SampleAVAFrames', clip_len=8, frame_interval=4, test_mode=True),
    dict(type='mmaction.RawFrameDecode'),
    dict(type='mmaction.FormatShape', input_format='NCTHW', collapse=True),
    dict(type='mmaction.PackActionInputs'),
]


def build(cls, root, split='train', **kwargs):
    with DefaultScope.overwrite_default_scope('tasks_detection'):
        return cls(pipeline=PIPELINE, num_classes=9, **ava_files(root, split), **kwargs)


def write_bad(tmp_path, demo, rows):
    """The demo set's label map and frames with an annotation file holding ``rows``."""
    files = ava_files(demo / 'ava')
    video = sorted(os.listdir(files['data_prefix']['img']))[0]
    path = tmp_path / 'ava_train_v2.2.csv'
    path.write_text(''.join(r.replace('vid_a', video) + '\n' for r in rows))
    return dict(files, ann_file=str(path))


@pytest.mark.parametrize(
    'bad, message',
    [
        ('vid_a,0902,0.5,0.2,0.4,0.6,3,0', r'bad box \(0.5, 0.2, 0.4, 0.6\)'),
        ('vid_a,0902,0.1,0.2,0.4,1.6,3,0', r'bad box .*y1 < y2 <= 1'),
        ('vid_a,0902,0.1,0.2,0.4,0.6,42,0', r'unknown action_id 42: the label map has \[1, 2'),
        ('vid_a,0899,0.1,0.2,0.4,0.6,3,0', r'timestamp 899 is outside the video \(900..905 s\)'),
        ('vid_a,0907,0.1,0.2,0.4,0.6,3,0', r'timestamp 907 is outside the video'),
        ('vid_a,0902,0.1,0.2,0.4,0.6,3', r'7 columns instead of 8'),
        ('vid_a,09x2,0.1,0.2,0.4,0.6,3,0', r"timestamp '09x2' is not an integer"),
        ('nope,0902,0.1,0.2,0.4,0.6,3,0', r'no frame folder .*nope'),
    ],
)
def test_malformed_rows_name_file_and_line(tmp_path, demo, bad, message):
    files = write_bad(tmp_path, demo, [GOOD, GOOD.replace(',3,', ',4,'), bad])
    scope = DefaultScope.overwrite_default_scope('tasks_detection')
    with pytest.raises(AVAAnnotationError, match=rf'ava_train_v2.2.csv, line 3: {message}'), scope:
        ValidatedAVADataset(pipeline=PIPELINE, timestamp_start=900, timestamp_end=905, **files)


def test_timestamp_beyond_the_frames_is_caught(tmp_path, demo):
    # the annotation claims a 20 s video; the frame folder holds 5 s
    files = write_bad(tmp_path, demo, ['vid_a,0910,0.1,0.2,0.4,0.6,3,0'])
    scope = DefaultScope.overwrite_default_scope('tasks_detection')
    with (
        pytest.raises(AVAAnnotationError, match=r'line 1: timestamp 910 is outside .*900..905'),
        scope,
    ):
        ValidatedAVADataset(pipeline=PIPELINE, timestamp_start=900, timestamp_end=920, **files)


def test_mmaction_reads_the_demo_set(demo):
    dataset = build(ValidatedAVADataset, demo / 'ava', timestamp_start=900, timestamp_end=905)
    assert len(dataset) >= 6  # 2 videos x 4 keyframes, crowded ones excluded
    item = dataset[0]
    assert item['inputs'].shape == (3, 8, 64, 64)
    sample = item['data_samples']
    assert sample.gt_instances.labels.shape[1] == 9
    assert len(sample.proposals.bboxes) >= len(sample.gt_instances.bboxes)
    assert sample.gt_instances.bboxes.max() <= 64


def test_mmaction_reads_the_kinetics_style_clips(demo):
    dataset = build(ValidatedAVAKineticsDataset, demo / 'ava_kinetics')
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    kinetics = [i for i, d in enumerate(infos) if len(d['video_id']) > 11]
    assert kinetics and len(kinetics) < len(infos)  # Kinetics-style clips and AVA videos
    assert all(infos[i]['timestamp'] == infos[i]['timestamp_start'] + 1 for i in kinetics)
    item = dataset[kinetics[0]]
    assert item['inputs'].shape == (3, 8, 64, 64)
    assert item['data_samples'].proposals.bboxes.shape[1] == 4


def test_demo_is_deterministic(tmp_path):
    write_demo('ava', str(tmp_path / 'a'), seed=1, limit=1)
    write_demo('ava', str(tmp_path / 'b'), seed=1, limit=1)
    write_demo('ava', str(tmp_path / 'c'), seed=2, limit=1)
    assert (
        folder_digest(tmp_path / 'a')
        == folder_digest(tmp_path / 'b')
        != folder_digest(tmp_path / 'c')
    )


def test_demo_labels_are_consistent(demo):
    files = ava_files(demo / 'ava', 'val')
    with open(files['ann_file']) as f:
        rows = list(csv.reader(f))
    people = {}
    for row in rows:
        box = tuple(float(v) for v in row[2:6])
        assert 0 <= box[0] < box[2] <= 1 and 0 <= box[1] < box[3] <= 1
        people.setdefault((row[0], row[1], row[7]), set()).add(int(row[6]))
    assert set().union(*people.values()) <= set(ACTIONS)
    for actions in people.values():
        assert not {1, 2} <= actions and not {3, 4} <= actions and not {5, 6} <= actions
        assert (7 in actions) == (not actions & {1, 2, 3, 4, 5, 6})
    with open(files['proposal_file'], 'rb') as f:
        proposals = pickle.load(f)
    for row in rows:  # every annotated person has a confident proposal of IoU > 0.7
        box = np.array([float(v) for v in row[2:6]])
        found = proposals[f'{row[0]},{row[1]}']
        inter = np.clip(
            np.minimum(found[:, 2:4], box[2:]) - np.maximum(found[:, :2], box[:2]), 0, None
        ).prod(1)
        union = (found[:, 2:4] - found[:, :2]).prod(1) + (box[2:] - box[:2]).prod() - inter
        assert ((inter / union > 0.7) & (found[:, 4] >= 0.9)).any()

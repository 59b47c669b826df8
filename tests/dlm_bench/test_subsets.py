"""The low-data subset of every primary's training format: whole samples (clips, videos,
AVA keyframes) are kept or dropped, nothing else changes, and the real dataset reads it."""

from __future__ import annotations

import csv
import io
import json
import os.path as osp

import pytest
from dlm_bench import splits, subsets
from mmengine.config import Config
from mmengine.registry import DefaultScope

from tasks_detection.datasets import ImagenetVIDDataset, Thumos14Dataset
from tasks_detection.demo import imagenet_vid, thumos14
from tests.helpers.paths import ROOT


def _ava_rows(keyframes: int) -> list:
    rows = []
    for index in range(keyframes):
        video, second = f'vid{index // 5}', f'{902 + index % 5:04d}'
        for person, action in ((0, 3), (0, 7), (1, 3)):  # three rows, two boxes
            rows.append([video, second, '0.1', '0.2', '0.5', '0.9', str(action), str(person)])
    return rows


def test_ava_keeps_whole_keyframes_in_file_order():
    rows = _ava_rows(40)
    text = ''.join(','.join(row) + '\n' for row in rows)
    kept = list(csv.reader(io.StringIO(subsets.ava_csv(text, 0.1))))
    keyframes = {(row[0], row[1]) for row in kept}
    assert len(keyframes) == 4  # a tenth of 40 keyframes
    assert kept == [row for row in rows if (row[0], row[1]) in keyframes]  # all 3 rows each
    assert subsets.ava_csv(text, 0.1) == subsets.ava_csv(text, 0.1)  # seeded
    assert subsets.ava_csv(text, 0.1, seed=1) != subsets.ava_csv(text, 0.1)


def test_thumos14_drops_training_videos_only():
    database = {f'video_validation_{i:03d}': dict(subset='Validation', n=i) for i in range(20)}
    database.update({f'video_test_{i:03d}': dict(subset='Test', n=i) for i in range(5)})
    out = subsets.thumos14_json(dict(database=database, version='x'), 0.1, 'Validation')
    training = [k for k, v in out['database'].items() if v['subset'] == 'Validation']
    assert len(training) == 2 and out['version'] == 'x'
    assert all(out['database'][k] == database[k] for k in out['database'])
    assert {k for k, v in out['database'].items() if v['subset'] == 'Test'} == {
        k for k in database if k.startswith('video_test')
    }


def test_videos_json_keeps_the_items_of_kept_videos_and_every_category():
    payload = dict(
        categories=[dict(id=1, name='a'), dict(id=2, name='b')],
        videos=[dict(id=v, name=f'v{v}') for v in range(1, 21)],
        images=[dict(id=10 * v + f, video_id=v) for v in range(1, 21) for f in range(3)],
        annotations=[dict(id=v, video_id=v, category_id=1 + v % 2) for v in range(1, 21)],
        info=dict(year=2026),
    )
    out = subsets.videos_json(payload, 0.1)
    kept = {v['id'] for v in out['videos']}
    assert len(kept) == 2
    assert {i['video_id'] for i in out['images']} == kept and len(out['images']) == 6
    assert {a['video_id'] for a in out['annotations']} == kept
    assert out['categories'] == payload['categories'] and out['info'] == payload['info']


@pytest.mark.parametrize(
    'call, message',
    [
        (lambda: subsets.ava_csv('vid0\n', 0.1, source='a.csv'), r'a\.csv: line 1: expected'),
        (lambda: subsets.thumos14_json([], 0.1, 'Validation', source='t.json'), 'database'),
        (
            lambda: subsets.thumos14_json(dict(database={}), 0.1, 'Validation', source='t.json'),
            r't\.json: no video of subset "Validation"',
        ),
        (lambda: subsets.videos_json(dict(videos=[{}]), 0.1, source='v.json'), r'v\.json'),
        (lambda: subsets.lines([], 0.1), 'no sample'),
    ],
)
def test_a_malformed_training_split_is_an_error_naming_it(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_every_primary_has_a_subset_writer():
    from dlm_bench.catalog import PRIMARIES

    assert all(splits.has_carver(task) for task in PRIMARIES)


def test_the_imagenet_vid_subset_loads_in_its_dataset(tmp_path):
    folder = imagenet_vid.write_demo(
        'imagenet_vid', str(tmp_path / 'vid'), seed=0, num_videos=dict(train=10, val=1)
    )
    source = osp.join(folder, imagenet_vid.ann_file('train'))
    with open(source) as handle:
        text = handle.read()
    low = tmp_path / 'train_low.json'
    low.write_text(splits.low_data_text('imagenet_vid', text, source))
    payload = json.loads(text)
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'tasks', 'imagenet_vid_demo.py'))
    options = dict(cfg.train_dataloader.dataset, data_root=folder, ann_file=str(low))
    options.pop('type')
    with DefaultScope.overwrite_default_scope('tasks_detection'):
        dataset = ImagenetVIDDataset(**options)
    kept = json.loads(low.read_text())
    assert len(kept['videos']) == 1 and len(payload['videos']) == 10
    assert len(dataset) == 1
    assert dataset.get_data_info(0)['video_length'] == len(kept['images'])


def test_the_thumos14_subset_loads_in_its_dataset(tmp_path):
    thumos14.write_demo('thumos14', str(tmp_path / 'th'), seed=0, limit=10)
    source = str(tmp_path / 'th' / 'annotations' / 'thumos14.json')
    with open(source) as handle:
        text = handle.read()
    low = tmp_path / 'thumos14_low.json'
    low.write_text(splits.low_data_text('thumos14', text, source, ROOT))

    def videos(path, subset):
        with DefaultScope.overwrite_default_scope('tasks_detection'):
            dataset = Thumos14Dataset(
                ann_file=path,
                subset=subset,
                metainfo=dict(classes=tuple(thumos14.CLASSES)),
                pipeline=[],
            )
        return [dataset.get_data_info(i)['video_id'] for i in range(len(dataset))]

    training = videos(source, 'Validation')
    assert len(training) == 10
    low_training = videos(str(low), 'Validation')
    assert len(low_training) == 1 and set(low_training) <= set(training)
    assert videos(str(low), 'Test') == videos(source, 'Test')


def test_the_ava_subset_loads_in_its_dataset(tmp_path):
    from tasks_detection.datasets import ValidatedAVADataset
    from tasks_detection.demo.ava import write_demo

    root = tmp_path / 'ava'
    write_demo('ava', str(root), seed=5, limit=4)
    annotations = root / 'annotations'
    source = str(annotations / 'ava_train_v2.2.csv')
    with open(source) as handle:
        text = handle.read()
    low = tmp_path / 'train_low.csv'
    low.write_text(splits.low_data_text('ava', text, source))
    kept = {(row[0], int(row[1])) for row in csv.reader(io.StringIO(low.read_text())) if row}

    def keyframes(ann_file):
        with DefaultScope.overwrite_default_scope('tasks_detection'):
            dataset = ValidatedAVADataset(
                ann_file=ann_file,
                exclude_file=str(annotations / 'ava_train_excluded_timestamps_v2.2.csv'),
                label_file=str(annotations / 'ava_action_list_v2.2_for_activitynet_2019.pbtxt'),
                proposal_file=str(annotations / 'ava_dense_proposals_train.FAIR.recall_93.9.pkl'),
                data_prefix=dict(img=str(root / 'rawframes')),
                pipeline=[],
                num_classes=9,
                timestamp_start=900,
                timestamp_end=905,
            )
        infos = [dataset.get_data_info(i) for i in range(len(dataset))]
        return [(info['video_id'], int(info['timestamp'])) for info in infos]

    every = {(row[0], int(row[1])) for row in csv.reader(io.StringIO(text)) if row}
    assert len(kept) == round(len(every) * splits.LOW_DATA_FRACTION) and kept <= every
    full, subset = keyframes(source), keyframes(str(low))
    assert subset and set(subset) <= kept  # what the dataset trains on: kept keyframes only
    assert len(subset) < len(full)

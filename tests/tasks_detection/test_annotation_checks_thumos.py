"""THUMOS14: the classes are the config's, by name; a json using a subset of them is scored
right, anything else is one clear error (issue 19)."""

import json

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

from dlm_core.errors import ConfigError, DataError, UnknownLabelError
from tasks_detection.datasets import Thumos14Dataset
from tasks_detection.evaluation import TemporalDetectionMAP
from tests.helpers.thumos_predictions import predict

#: the model's classes (the demo config's), in the order of its head
CLASSES = (
    'MoveLeft', 'MoveRight', 'MoveUp', 'MoveDown',
    'Grow', 'Shrink', 'TurnClockwise', 'TurnCounterClockwise',
)  # fmt: skip
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7)


def write_json(path, videos):
    """A THUMOS14-layout json as ActionFormer's thumos14.json is written; ``label_id`` is
    the label's index among the labels this file uses (as a converter of a subset
    writes it), which is not the model's class index."""
    used = sorted({label for segments in videos.values() for _, _, label in segments})
    database = {
        vid: dict(
            subset='Test',
            duration=60.0,
            fps=10.0,
            annotations=[
                dict(label=label, segment=[t0, t1], label_id=used.index(label))
                for t0, t1, label in segments
            ],
        )
        for vid, segments in videos.items()
    }
    path.write_text(json.dumps(dict(database=database), indent=2) + '\n')
    return str(path)


def build_dataset(ann_file, **kwargs):
    kwargs.setdefault('metainfo', dict(classes=CLASSES))
    with DefaultScope.overwrite_default_scope('tasks_detection'):
        return Thumos14Dataset(ann_file=ann_file, subset='Test', pipeline=[], **kwargs)


def evaluate(ann_file, dataset, predictions, metric_ann_file=None):
    metric = TemporalDetectionMAP(ann_file=metric_ann_file or ann_file, subset='Test')
    metric.dataset_meta = dataset.metainfo  # what the Evaluator does
    metric.process({}, predict(predictions))
    return metric.compute_metrics(metric.results)


SUBSET_VIDEOS = {
    'video_test_1': [(0.0, 10.0, 'MoveUp')],
    'video_test_2': [(5.0, 15.0, 'Grow'), (20.0, 30.0, 'TurnClockwise')],
}


def test_a_json_with_three_of_the_classes_is_scored_by_name(tmp_path):
    ann = write_json(tmp_path / 'thumos14.json', SUBSET_VIDEOS)
    dataset = build_dataset(ann)
    assert dataset.metainfo['classes'] == CLASSES
    # the labels are the config's indices (MoveUp 2, Grow 4, TurnClockwise 6), not the
    # json's label_id (0, 1, 2)
    assert [d['labels'] for d in dataset] == [[2], [4, 6]]
    result = evaluate(
        ann,
        dataset,
        {
            'video_test_1': [(0, 10, 2, 0.9)],  # MoveUp found: AP 1
            # Grow found, then a second Grow after full recall: AP 1; TurnClockwise [20, 26]
            # has tIoU 0.6 with [20, 30]: a hit up to 0.6, a miss at 0.7; the last class
            # (7) has no ground truth and does not count
            'video_test_2': [
                (5, 15, 4, 0.8),
                (20, 30, 4, 0.7),
                (20, 26, 6, 0.6),
                (40, 50, 7, 0.9),
            ],
        },
    )
    expected = [100.0] * 4 + [100 * 2 / 3]
    assert [result[f'mAP@{t:.1f}'] for t in THRESHOLDS] == pytest.approx(expected)
    assert result['mAP'] == pytest.approx(np.mean(expected))


def test_a_label_outside_the_config_classes_names_file_video_and_label(tmp_path):
    ann = write_json(tmp_path / 'thumos14.json', dict(SUBSET_VIDEOS, video_test_3=[(1, 2, 'Jump')]))
    with pytest.raises(
        UnknownLabelError,
        match=r'thumos14.json: database\["video_test_3"\]: label "Jump" is not one of the '
        r"config's classes \['MoveLeft'",
    ):
        build_dataset(ann)
    metric = TemporalDetectionMAP(ann_file=ann)
    metric.dataset_meta = dict(classes=CLASSES)
    with pytest.raises(UnknownLabelError, match=r'video_test_3.*label "Jump"'):
        metric.compute_metrics([])


def test_classes_must_be_given_and_fit_the_head(tmp_path):
    ann = write_json(tmp_path / 'thumos14.json', SUBSET_VIDEOS)
    with pytest.raises(ConfigError, match=r'Thumos14Dataset: metainfo.classes is not set'):
        build_dataset(ann, metainfo=None)
    with pytest.raises(ConfigError, match=r'num_classes is 20 .* names 8 classes'):
        build_dataset(ann, num_classes=20)


def test_a_prediction_beyond_the_classes_is_an_error(tmp_path):
    ann = write_json(tmp_path / 'thumos14.json', SUBSET_VIDEOS)
    small = build_dataset(ann, metainfo=dict(classes=CLASSES[:7]))
    with pytest.raises(ConfigError, match=r'predicts class index 7 .* has 7 classes'):
        evaluate(ann, small, {'video_test_1': [(0, 10, 7, 0.9)], 'video_test_2': []})


def test_evaluator_ground_truth_of_other_videos_is_an_error(tmp_path):
    ann = write_json(tmp_path / 'thumos14.json', SUBSET_VIDEOS)
    other = write_json(tmp_path / 'full.json', dict(SUBSET_VIDEOS, video_test_9=[(1, 5, 'Grow')]))
    dataset = build_dataset(ann)
    predictions = {'video_test_1': [(0, 10, 2, 0.9)], 'video_test_2': [(5, 15, 4, 0.8)]}
    with pytest.raises(
        DataError,
        match=r"full.json \(subset \"Test\", the evaluator's ground truth\): no prediction for "
        r"its videos \['video_test_9'\]; the dataset reads .*thumos14.json but the evaluator's "
        r'ann_file is .*full.json',
    ):
        evaluate(ann, dataset, predictions, metric_ann_file=other)


@pytest.mark.parametrize(
    'name', ['configs/tasks/thumos14_demo.py', 'configs/tasks/real/vit_b_thumos14.py']
)
def test_configs_give_the_head_its_classes(name):
    cfg = Config.fromfile(name)
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        assert len(loader.dataset.metainfo.classes) == cfg.model.num_classes
        assert loader.dataset.num_classes == cfg.model.num_classes

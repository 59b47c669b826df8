"""AVA: the evaluator's ground truth must describe the predicted keyframes; the AVA files
tolerate blank lines and are otherwise checked (issue 19)."""

import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope

from dlm_core.errors import DataError
from tasks_detection.datasets import AVAAnnotationError, ValidatedAVADataset
from tasks_detection.datasets.ava_annotations import check_proposals, read_exclusions
from tasks_detection.demo.ava import write_demo
from tasks_detection.evaluation import AVAFrameMAP

#: the official label map's layout (ava_action_list_v2.2_for_activitynet_2019.pbtxt), with a
#: blank line between items and at the end
LABEL_MAP = 'item {\n  name: "walk"\n  id: 1\n}\n\nitem {\n  name: "wave"\n  id: 2\n}\n\n'
PERSON = (0.1, 0.1, 0.4, 0.4)


def row(video, stamp, action, box=PERSON, person=0):
    return f'{video},{stamp:04d},' + ','.join(f'{v:.3f}' for v in box) + f',{action},{person}'


def write(path, lines, trailing_blank=False):
    path.write_text(''.join(line + '\n' for line in lines) + ('\n' if trailing_blank else ''))
    return str(path)


def files(tmp_path, gt_rows, excluded=(), name='ava_val_v2.2.csv', trailing_blank=False):
    (tmp_path / 'labels.pbtxt').write_text(LABEL_MAP)
    return dict(
        ann_file=write(tmp_path / name, gt_rows, trailing_blank),
        label_file=str(tmp_path / 'labels.pbtxt'),
        exclude_file=write(tmp_path / f'excluded_{name}', excluded, trailing_blank),
    )


def detections(video, stamp, walk=0.9, wave=0.05):
    """One keyframe's prediction as the model gives it (column 0: background)."""
    boxes = torch.tensor([PERSON], dtype=torch.float32)
    scores = torch.tensor([[0.0, walk, wave]], dtype=torch.float32)
    return dict(video_id=video, timestamp=stamp, pred_instances=dict(bboxes=boxes, scores=scores))


def metric_for(evaluator_files, dataset_meta=None):
    metric = AVAFrameMAP(num_classes=3, **evaluator_files)
    if dataset_meta is not None:
        metric.dataset_meta = dataset_meta  # what the Evaluator does when the loop is built
    return metric


def evaluate(metric, predictions):
    metric.process({}, predictions)
    return metric.compute_metrics(metric.results)


def test_predictions_for_other_keyframes_are_an_error_not_map_0(tmp_path):
    # the dataset's annotation file was overridden (video "new"), the evaluator's was not
    old = files(tmp_path, [row('old', 902, 1), row('old', 903, 1)])
    predictions = [detections('new', 902), detections('new', 903)]
    with pytest.raises(
        DataError,
        match=r"ava_val_v2.2.csv \(the evaluator's ground truth\): predictions include "
        r'keyframes it does not have: 2 \(new,0902, new,0903\); predictions lack keyframes it '
        r'scores: 2 \(old,0902, old,0903\)',
    ):
        evaluate(metric_for(old), predictions)


def test_a_dataset_reading_another_annotation_file_is_caught_before_predicting(tmp_path):
    evaluator = files(tmp_path, [row('old', 902, 1), row('old', 903, 1)])
    dataset = files(tmp_path, [row('new', 902, 1), row('new', 903, 2)], name='mine.csv')
    meta = dict(ann_file=dataset['ann_file'], exclude_file=dataset['exclude_file'])
    with pytest.raises(
        DataError,
        match=r'the keyframes of the dataset include keyframes it does not have: 2 '
        r"\(new,0902, new,0903\).*the dataset reads .*mine.csv but the evaluator's ann_file "
        r'is .*ava_val_v2.2.csv',
    ):
        metric_for(evaluator, meta)


def test_the_same_keyframes_in_another_file_are_fine(tmp_path):
    rows = [row('vid', 902, 1), row('vid', 903, 2)]
    evaluator = files(tmp_path, rows, excluded=['vid,0904'])
    copy = files(tmp_path, rows, name='copy.csv')
    metric = metric_for(evaluator, dict(ann_file=copy['ann_file']))
    result = evaluate(metric, [detections('vid', 902), detections('vid', 903, 0.2, 0.8)])
    # each action's true keyframe is its best-scored detection: AP 1 for both
    assert result['overall'] == pytest.approx(1.0)


def test_files_ending_in_a_blank_line_are_read(tmp_path):
    rows = [row('vid', 902, 1), row('vid', 903, 2)]
    evaluator = files(tmp_path, rows, excluded=['vid,0905'], trailing_blank=True)
    predictions = [detections('vid', 902), detections('vid', 903, 0.2, 0.8)]
    result = evaluate(metric_for(evaluator), predictions)
    assert result['overall'] == pytest.approx(1.0)


def test_a_malformed_exclusion_row_names_file_and_line(tmp_path):
    path = write(tmp_path / 'excluded.csv', ['vid,0902', '', 'vid;0903'])
    with pytest.raises(AVAAnnotationError, match=r'excluded.csv, line 3: row "vid;0903" is not'):
        read_exclusions(path)
    assert read_exclusions(write(tmp_path / 'ok.csv', ['vid,0902', ''])) == {('vid', 902)}


def test_malformed_proposals_are_an_error(tmp_path):
    path = tmp_path / 'proposals.pkl'
    with open(path, 'wb') as f:
        pickle.dump({'vid,0902': np.zeros((3, 2))}, f)
    with pytest.raises(AVAAnnotationError, match=r"proposals of 'vid,0902' have shape \(3, 2\)"):
        check_proposals(str(path))
    path.write_text('vid,0902,0.1,0.1,0.4,0.4\n\n')
    with pytest.raises(AVAAnnotationError, match=r'not a readable pickle'):
        check_proposals(str(path))


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp('ava_blank')
    write_demo('ava', str(root), seed=3, limit=1)
    return root


def test_the_dataset_reads_files_ending_in_blank_lines(demo, tmp_path):
    ann = os.path.join(demo, 'annotations')
    with_blanks = {}
    for name in ('ava_val_v2.2.csv', 'ava_val_excluded_timestamps_v2.2.csv'):
        with open(os.path.join(ann, name)) as f:
            text = f.read()
        (tmp_path / name).write_text(text.replace('\n', '\n\n', 1) + '\n\n')
        with_blanks[name] = str(tmp_path / name)
    with open(with_blanks['ava_val_excluded_timestamps_v2.2.csv']) as f:
        assert f.read().endswith('\n\n')
    common = dict(
        label_file=os.path.join(ann, 'ava_action_list_v2.2_for_activitynet_2019.pbtxt'),
        proposal_file=os.path.join(ann, 'ava_dense_proposals_val.FAIR.recall_93.9.pkl'),
        data_prefix=dict(img=os.path.join(demo, 'rawframes')),
        pipeline=[],
        num_classes=9,
        timestamp_start=900,
        timestamp_end=905,
        test_mode=True,
    )
    with DefaultScope.overwrite_default_scope('tasks_detection'):
        reference = ValidatedAVADataset(
            ann_file=os.path.join(ann, 'ava_val_v2.2.csv'),
            exclude_file=os.path.join(ann, 'ava_val_excluded_timestamps_v2.2.csv'),
            **common,
        )
        blank = ValidatedAVADataset(
            ann_file=with_blanks['ava_val_v2.2.csv'],
            exclude_file=with_blanks['ava_val_excluded_timestamps_v2.2.csv'],
            **common,
        )
    assert len(blank) == len(reference) > 0
    assert [blank.get_data_info(i)['img_key'] for i in range(len(blank))] == [
        reference.get_data_info(i)['img_key'] for i in range(len(reference))
    ]
    assert blank.metainfo['ann_file'] == with_blanks['ava_val_v2.2.csv']

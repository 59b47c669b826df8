"""50Salads / Breakfast / GTEA layout: classes of the config matched to mapping.txt by name,
the head's size checked, blank lines tolerated (issue 19)."""

import numpy as np
import pytest

from dlm_core.errors import ConfigError, DataError
from tasks_segmentation.evaluation import ActionSegmentationMetric
from tests.helpers.segmentation_layout import CLASSES, build, write_layout


def test_config_classes_in_another_order_label_frames_by_name(tmp_path):
    # mapping.txt: 0 take, 1 pour, 2 background; the model's head: background, take, pour
    dataset = build(write_layout(tmp_path), metainfo=dict(classes=['background', 'take', 'pour']))
    assert dataset.metainfo['classes'] == ('background', 'take', 'pour')
    assert dataset[0]['data_samples'].gt_labels.tolist() == [0] * 3 + [1] * 4 + [2] * 3


def test_a_mapping_with_other_classes_than_the_config_is_an_error(tmp_path):
    with pytest.raises(
        DataError,
        match=r"mapping.txt names the classes \['take', 'pour', "
        r"'background'\], but the config's .*\['pour'\] not among them",
    ):
        build(write_layout(tmp_path), metainfo=dict(classes=['take', 'background', 'stir']))


def test_the_head_must_have_as_many_classes_as_the_mapping(tmp_path):
    with pytest.raises(ConfigError, match=r'num_classes is 19 .* names 3 classes'):
        build(write_layout(tmp_path), num_classes=19)
    assert len(build(write_layout(tmp_path), num_classes=3)) == 2


def test_blank_lines_are_no_entries(tmp_path):
    root = write_layout(tmp_path)
    mapping = (root / 'mapping.txt').read_text()
    (root / 'mapping.txt').write_text(mapping.replace('\n', '\n\n') + '\n')
    bundle = root / 'splits' / 'train.split1.bundle'
    bundle.write_text('\n' + bundle.read_text().replace('\n', '\n\n') + '\n')
    truth = root / 'groundTruth' / 'S1_Tea_C1.txt'
    truth.write_text(truth.read_text() + '\n\n')
    dataset = build(root, num_classes=3)
    assert len(dataset) == 2 and dataset.metainfo['classes'] == tuple(CLASSES)
    assert dataset[0]['data_samples'].gt_labels.tolist() == [2] * 3 + [0] * 4 + [1] * 3


def test_a_blank_line_inside_a_ground_truth_file_names_the_line(tmp_path):
    root = write_layout(tmp_path)
    truth = root / 'groundTruth' / 'S1_Tea_C1.txt'
    lines = truth.read_text().splitlines()
    truth.write_text('\n'.join(lines[:4] + [''] + lines[4:]) + '\n')
    with pytest.raises(DataError, match=r"S1_Tea_C1.txt: line 5 has label '', which is not in"):
        build(root)


def test_a_prediction_beyond_the_classes_is_an_error():
    metric = ActionSegmentationMetric()
    metric.dataset_meta = dict(classes=tuple(CLASSES))
    metric.results = [(np.array([0, 1, 3]), np.array([0, 1, 2]), None)]
    with pytest.raises(ConfigError, match=r'predicts class index 3, but the dataset has 3'):
        metric.compute_metrics(metric.results)

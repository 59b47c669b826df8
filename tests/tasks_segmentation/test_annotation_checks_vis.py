"""YouTube-VIS: the json's categories must be the config's classes (by name) and count the
head's num_classes; a class list given with --cfg-options works (issue 19)."""

import argparse
import json

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope
from pycocotools import mask as mask_utils

from dlm_core.errors import ConfigError, DataError
from dlm_core.run_config import DictAction
from tasks_segmentation.registry import DATASETS

HEIGHT, WIDTH, LENGTH = 40, 48, 3  # mmdet drops training frames under 32 pixels


def rle(x0, y0, x1, y1):
    """The RLE of a box-shaped mask, as the official json stores it (counts as a string)."""
    mask = np.zeros((HEIGHT, WIDTH), np.uint8, order='F')
    mask[y0:y1, x0:x1] = 1
    encoded = mask_utils.encode(mask)
    return dict(size=[HEIGHT, WIDTH], counts=encoded['counts'].decode())


def write_official_json(path, categories, tracks):
    """A YouTube-VIS 2019 json as the official train.json is laid out: one video, one
    track per ``(category_id, box)`` visible on every frame."""
    video = dict(
        id=1,
        width=WIDTH,
        height=HEIGHT,
        length=LENGTH,
        file_names=[f'0a1b2c3d4e/{i:05d}.jpg' for i in range(LENGTH)],
    )
    annotations = []
    for index, (category_id, (x0, y0, x1, y1)) in enumerate(tracks, start=1):
        annotations.append(
            dict(
                id=index,
                video_id=1,
                category_id=category_id,
                segmentations=[rle(x0, y0, x1, y1)] * LENGTH,
                bboxes=[[x0, y0, x1 - x0, y1 - y0]] * LENGTH,
                areas=[(x1 - x0) * (y1 - y0)] * LENGTH,
                iscrowd=0,
                width=WIDTH,
                height=HEIGHT,
                length=1,
            )
        )
    categories = [dict(supercategory='object', id=i, name=n) for i, n in categories]
    data = dict(
        info={}, licenses=[], videos=[video], annotations=annotations, categories=categories
    )
    path.write_text(json.dumps(data))
    return str(path)


def build(ann_file, **kwargs):
    with DefaultScope.overwrite_default_scope('tasks_segmentation'):
        return DATASETS.build(
            dict(type='YouTubeVISJsonDataset', ann_file=ann_file, pipeline=[], **kwargs)
        )


TRACKS = [(1, (2, 2, 10, 10)), (2, (12, 4, 30, 20))]


def test_a_category_the_model_does_not_know_is_an_error(tmp_path):
    # the json has a third category with a track; the model knows two classes: its track
    # would be dropped silently
    ann = write_official_json(
        tmp_path / 'train.json',
        [(1, 'person'), (2, 'dog'), (3, 'cat')],
        [*TRACKS, (3, (4, 12, 12, 22))],
    )
    with pytest.raises(
        DataError,
        match=r"train.json: \"categories\" \(3: \['person', 'dog', 'cat'\]\) differ from the "
        r"config's 2 classes \['person', 'dog'\].*categories \['cat'\] are not among the classes",
    ):
        build(ann, metainfo=dict(classes=('person', 'dog')))


def test_categories_match_by_name_in_any_order(tmp_path):
    ann = write_official_json(
        tmp_path / 'train.json',
        [(5, 'dog'), (9, 'person')],
        [(9, (2, 2, 10, 10)), (5, (12, 4, 30, 20))],
    )
    dataset = build(ann, metainfo=dict(classes=('person', 'dog')), num_classes=2)
    labels = sorted(i['bbox_label'] for i in dataset.get_data_info(0)['images'][0]['instances'])
    assert labels == [0, 1]  # person is class 0 (category 9), dog class 1 (category 5)


def test_the_head_must_have_as_many_classes(tmp_path):
    ann = write_official_json(tmp_path / 'train.json', [(1, 'person'), (2, 'dog')], TRACKS)
    with pytest.raises(ConfigError, match=r'num_classes is 40 .* names 2 classes'):
        build(ann, metainfo=dict(classes=('person', 'dog')), num_classes=40)


def test_a_class_list_given_on_the_command_line(tmp_path):
    """``--cfg-options`` goes through DictAction (as tools/train.py parses it), which reads
    ``['3','7']`` as ``[3, 7]``: the dataset reads them back as the names '3' and '7'."""
    ann = write_official_json(tmp_path / 'train.json', [(1, '3'), (2, '7')], TRACKS)
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    args = parser.parse_args(
        ['--cfg-options', "train_dataloader.dataset.metainfo.classes=['3','7']"]
    )
    cfg = Config(
        dict(
            train_dataloader=dict(
                dataset=dict(
                    type='YouTubeVISJsonDataset',
                    ann_file=ann,
                    metainfo=dict(classes=('a', 'b')),
                    num_classes=2,
                    pipeline=[],
                )
            )
        )
    )
    cfg.merge_from_dict(args.cfg_options)
    assert list(cfg.train_dataloader.dataset.metainfo.classes) == [3, 7]  # what MMEngine does
    with DefaultScope.overwrite_default_scope('tasks_segmentation'):
        dataset = DATASETS.build(cfg.train_dataloader.dataset)
    assert dataset.metainfo['classes'] == ('3', '7')
    assert len(dataset) == 1


def test_a_class_list_of_other_things_is_an_error(tmp_path):
    ann = write_official_json(tmp_path / 'train.json', [(1, 'person'), (2, 'dog')], TRACKS)
    with pytest.raises(ConfigError, match=r'metainfo.classes\[1\]: expected a class name'):
        build(ann, metainfo=dict(classes=['person', None]))


@pytest.mark.parametrize(
    'name',
    ['configs/tasks/youtube_vis_demo.py', 'configs/tasks/real/mask2former_r50_youtube_vis.py'],
)
def test_configs_give_the_dataset_the_head_size(name):
    cfg = Config.fromfile(name)
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        assert loader.dataset.num_classes == cfg.model.track_head.num_classes


def test_a_predicted_label_beyond_the_classes_is_an_error():
    import torch
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData

    from tasks_segmentation.evaluation.youtube_vis_metric import RepeatableYouTubeVISMetric

    frame = DetDataSample()
    frame.pred_track_instances = InstanceData(
        labels=torch.tensor([1, 3]), scores=torch.tensor([0.9, 0.8])
    )
    metric = RepeatableYouTubeVISMetric()
    metric.dataset_meta = dict(classes=('person', 'dog'))
    with pytest.raises(ConfigError, match=r'predicts class index 3, but the dataset has 2'):
        metric.process({}, [dict(video_data_samples=[frame])])

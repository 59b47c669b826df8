"""YouTubeVISJsonDataset: the official json through mmdet's YouTubeVISDataset, checked."""

import importlib.util
import json
import os.path as osp

import mmdet
import pytest
from mmengine.registry import DefaultScope

from tasks_segmentation.datasets.youtube_vis import YouTubeVISJsonDataset
from tasks_segmentation.datasets.youtube_vis_json import YouTubeVISFormatError, video_name
from tasks_segmentation.demo.youtube_vis import CLASSES
from tasks_segmentation.registry import DATASETS
from tests.helpers.vis import ann_path, dataset, demo_set


@pytest.fixture(scope='module')
def root():
    return demo_set()


def write_broken(root, tmp_path, change, split='train'):
    """A copy of the demo json with ``change(data)`` applied; returns (path, data)."""
    with open(ann_path(root, split)) as file:
        data = json.load(file)
    change(data)
    path = tmp_path / f'{split}.json'
    path.write_text(json.dumps(data))
    return str(path), data


def build(path, root, test_mode=False):
    with DefaultScope.overwrite_default_scope('tasks_segmentation'):
        return DATASETS.build(
            dict(
                type='YouTubeVISJsonDataset',
                ann_file=path,
                data_prefix=dict(img_path=osp.join(root, 'train', 'JPEGImages')),
                metainfo=dict(classes=CLASSES),
                test_mode=test_mode,
                pipeline=[],
            )
        )


def mmdet_converter():
    """mmdet's own converter script (tools/dataset_converters/youtubevis2coco.py)."""
    path = osp.join(
        osp.dirname(mmdet.__file__), '.mim', 'tools', 'dataset_converters', 'youtubevis2coco.py'
    )
    spec = importlib.util.spec_from_file_location('youtubevis2coco', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def frame_records(ds):
    """Per video, per frame: (img_path, sorted instances (label, bbox, mask size, track))."""
    videos = []
    for index in range(len(ds)):
        info = ds.get_data_info(index)
        frames = []
        tracks = {}  # instance ids -> first-seen order, so the two numberings compare
        for image in info['images']:
            instances = []
            for inst in image['instances']:
                track = tracks.setdefault(inst['instance_id'], len(tracks))
                mask = inst['mask']
                instances.append((inst['bbox_label'], tuple(inst['bbox']), str(mask), track))
            frames.append((image['img_path'], image['frame_id'], sorted(instances)))
        videos.append(frames)
    return videos


def test_the_official_json_loads_as_mmdet_loads_its_converted_file(root, tmp_path):
    mmdet_converter().convert_vis(root, str(tmp_path), '2019', 'train')
    converted = str(tmp_path / 'youtube_vis_2019_train.json')
    with DefaultScope.overwrite_default_scope('tasks_segmentation'):
        reference = DATASETS.build(
            dict(
                type='mmdet.YouTubeVISDataset',
                dataset_version='2019',
                ann_file=converted,
                data_prefix=dict(img_path=osp.join(root, 'train', 'JPEGImages')),
                metainfo=dict(classes=CLASSES),
                pipeline=[],
            )
        )
    ours = build(ann_path(root), root)
    assert isinstance(ours, YouTubeVISJsonDataset)
    assert len(ours) == len(reference) == 16
    assert frame_records(ours) == frame_records(reference)
    # and a converted (CocoVID) file is read by mmdet's loader unchanged
    assert frame_records(build(converted, root)) == frame_records(reference)


def test_a_segmentations_list_of_the_wrong_length_names_the_video(root, tmp_path):
    def drop_a_frame(data):
        data['annotations'][5]['segmentations'].pop()

    path, data = write_broken(root, tmp_path, drop_a_frame)
    ann = data['annotations'][5]
    video = next(v for v in data['videos'] if v['id'] == ann['video_id'])
    length = video['length']
    with pytest.raises(YouTubeVISFormatError) as error:
        build(path, root)
    message = str(error.value)
    assert message.startswith(f'{path}: video {video["id"]} ("{video_name(video)}"), annotation ')
    assert f'"segmentations" has {length - 1} entries, but the video\'s "length" is {length}' in (
        message
    )
    assert 'one entry per frame, null where the instance is not visible' in message


def test_an_unknown_category_id_names_the_video(root, tmp_path):
    def unknown_category(data):
        data['annotations'][2]['category_id'] = 99

    path, data = write_broken(root, tmp_path, unknown_category)
    video = next(v for v in data['videos'] if v['id'] == data['annotations'][2]['video_id'])
    with pytest.raises(
        YouTubeVISFormatError,
        match=rf'video {video["id"]} \("{video_name(video)}"\).*"category_id" 99 is not in '
        r'"categories" \(ids \[1, 2, 3, 4, 5, 6, 7, 8, 9, 10\]\)',
    ):
        build(path, root)


def test_every_frame_must_be_listed(root, tmp_path):
    path, _ = write_broken(root, tmp_path, lambda d: d['videos'][1]['file_names'].pop())
    with pytest.raises(YouTubeVISFormatError, match=r'video 2 .*"file_names" lists \d+ frames'):
        build(path, root)


def test_an_rle_of_another_size_is_an_error(root, tmp_path):
    def wrong_size(data):
        ann = data['annotations'][0]
        frame = next(i for i, s in enumerate(ann['segmentations']) if s is not None)
        ann['segmentations'][frame]['size'] = [10, 10]

    path, _ = write_broken(root, tmp_path, wrong_size)
    with pytest.raises(YouTubeVISFormatError, match=r'frame \d+: "segmentations" entry must be'):
        build(path, root)


def test_classes_missing_from_the_categories_are_an_error(root, tmp_path):
    path, _ = write_broken(root, tmp_path, lambda d: d['categories'][-1].update(name='nine'))
    with pytest.raises(
        ValueError,
        match=r"categories \['nine'\] are not among the classes; has no category named \['9'\]",
    ):
        build(path, root)


def test_a_json_without_annotations_loads_for_testing(root, tmp_path):
    """The official valid.json has no annotations (the server holds them)."""
    path, data = write_broken(root, tmp_path, lambda d: d.pop('annotations'), split='valid')
    ds = build(path, root, test_mode=True)
    assert len(ds) == len(data['videos'])
    info = ds.get_data_info(0)
    assert len(info['images']) == data['videos'][0]['length']
    assert all(not image['instances'] for image in info['images'])


def test_the_demo_config_dataset_is_validated_when_it_is_built(root, tmp_path):
    path, _ = write_broken(
        root, tmp_path, lambda d: d['annotations'][0].update(category_id=0), split='train'
    )
    cfg_root = tmp_path.parent / 'cfg_root'
    cfg_root.mkdir(exist_ok=True)
    with open(path) as file:
        (cfg_root / 'train.json').write_text(file.read())
    with pytest.raises(YouTubeVISFormatError, match='train.json: video'):
        dataset(str(cfg_root), 'train')
    assert len(dataset(root, 'train')) == 16

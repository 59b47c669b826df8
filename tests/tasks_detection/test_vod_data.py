"""The ImageNet VID demo set, the CocoVID dataset with reference frames and its json checks."""

import filecmp
import json
import os
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

from tasks_detection.datasets import CocoVIDAnnotationError, ImagenetVIDDataset
from tasks_detection.demo import imagenet_vid
from tests.helpers.paths import ROOT

DEMO_CONFIG = osp.join(ROOT, 'configs', 'tasks', 'imagenet_vid_demo.py')
SMALL = dict(train=3, val=2)


@pytest.fixture(scope='module')
def demo_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp('vod') / 'imagenet_vid'
    return str(imagenet_vid.write_demo('imagenet_vid', str(folder), seed=0, num_videos=SMALL))


def build(folder, split='train', test_mode=False, ann_file=None):
    cfg = Config.fromfile(DEMO_CONFIG)
    loader = cfg.val_dataloader if test_mode else cfg.train_dataloader
    dataset = dict(loader.dataset)
    dataset.pop('type')
    dataset.update(data_root=folder, ann_file=ann_file or imagenet_vid.ann_file(split))
    with DefaultScope.overwrite_default_scope('tasks_detection'):
        return ImagenetVIDDataset(**dataset)


def test_demo_set_is_cocovid_with_frames_and_instance_ids(demo_folder):
    with open(osp.join(demo_folder, imagenet_vid.ann_file('train'))) as file:
        data = json.load(file)
    assert set(data) >= {'categories', 'videos', 'images', 'annotations'}
    assert [c['name'] for c in data['categories']] == list(imagenet_vid.CLASSES)
    assert len(data['videos']) == SMALL['train']
    image = data['images'][0]
    assert set(image) >= {'id', 'file_name', 'height', 'width', 'frame_id', 'video_id'}
    assert osp.isfile(osp.join(demo_folder, 'Data', 'VID', image['file_name']))
    assert image['file_name'].endswith('.JPEG')
    ann = data['annotations'][0]
    assert set(ann) >= {'id', 'video_id', 'image_id', 'category_id', 'instance_id', 'bbox'}
    per_video = {}
    for ann in data['annotations']:
        per_video.setdefault(ann['video_id'], set()).add(ann['instance_id'])
    assert all(1 <= len(ids) <= imagenet_vid.MAX_DIGITS for ids in per_video.values())


def test_demo_set_is_deterministic(tmp_path, demo_folder):
    again = imagenet_vid.write_demo('imagenet_vid', str(tmp_path / 'a'), seed=0, num_videos=SMALL)
    other = imagenet_vid.write_demo('imagenet_vid', str(tmp_path / 'b'), seed=1, num_videos=SMALL)
    name = imagenet_vid.ann_file('train')
    assert filecmp.cmp(osp.join(again, name), osp.join(demo_folder, name), shallow=False)
    assert not filecmp.cmp(osp.join(other, name), osp.join(demo_folder, name), shallow=False)
    for root, _, files in os.walk(osp.join(demo_folder, 'Data')):
        for file in files:
            mine = osp.join(root, file)
            theirs = osp.join(again, osp.relpath(mine, demo_folder))
            assert filecmp.cmp(mine, theirs, shallow=False), mine


def test_demo_cli_writes_root_slash_imagenet_vid(tmp_path, monkeypatch):
    monkeypatch.setattr(imagenet_vid, 'SPLITS', dict(train=(1, 0), val=(1, 1)))
    imagenet_vid.main(['--root', str(tmp_path)])
    assert osp.isfile(tmp_path / 'imagenet_vid' / imagenet_vid.ann_file('val'))


def test_training_items_are_a_key_frame_with_reference_frames(demo_folder):
    dataset = build(demo_folder)
    item = dataset.prepare_data((0, 2))
    sample = item['data_samples']
    assert item['inputs'].shape == (3, 3, imagenet_vid.HEIGHT, imagenet_vid.WIDTH)
    assert len(sample.key_frames_inds) == 1 and len(sample.ref_frames_inds) == 2
    key = sample.video_data_samples[sample.key_frames_inds[0]]
    assert key.frame_id == 2
    assert len(key.gt_instances.bboxes) == len(key.gt_instances.labels) > 0


def test_test_items_take_the_nearest_frames_deterministically(demo_folder):
    dataset = build(demo_folder, 'val', test_mode=True)
    first = dataset.prepare_data((0, 0))['data_samples']
    assert [s.frame_id for s in first.video_data_samples] == [0, 1, 2]
    assert first.key_frames_inds == [0]
    middle = dataset.prepare_data((1, 3))['data_samples']
    assert [s.frame_id for s in middle.video_data_samples] == [2, 3, 4]
    with pytest.raises(TypeError, match='TrackImgSampler'):
        dataset.prepare_data(0)


def broken_json(folder, tmp_path, edit):
    with open(osp.join(folder, imagenet_vid.ann_file('train'))) as file:
        data = json.load(file)
    edit(data)
    path = tmp_path / 'broken.json'
    path.write_text(json.dumps(data))
    return str(path)


def test_a_box_outside_its_image_is_an_error_naming_the_entry(demo_folder, tmp_path):
    def edit(data):
        data['annotations'][3]['bbox'] = [50.0, 10.0, 30.0, 20.0]  # x + w = 80 > 64

    path = broken_json(demo_folder, tmp_path, edit)
    with pytest.raises(CocoVIDAnnotationError) as error:
        build(demo_folder, ann_file=path)
    message = str(error.value)
    assert 'broken.json' in message and 'annotations[3] (id 4)' in message
    assert '"bbox"' in message and 'outside its image' in message and 'x + w <= width' in message


def test_an_unknown_category_is_an_error_naming_the_entry(demo_folder, tmp_path):
    def edit(data):
        data['annotations'][0]['category_id'] = 99

    with pytest.raises(
        CocoVIDAnnotationError, match=r'annotations\[0\] \(id 1\).*"category_id".*99'
    ):
        build(demo_folder, ann_file=broken_json(demo_folder, tmp_path, edit))


def test_a_missing_image_file_is_an_error_naming_the_entry(demo_folder, tmp_path):
    def edit(data):
        data['images'][5]['file_name'] = 'train/no_such_video/000000.JPEG'

    with pytest.raises(CocoVIDAnnotationError) as error:
        build(demo_folder, ann_file=broken_json(demo_folder, tmp_path, edit))
    message = str(error.value)
    assert 'images[5] (id 6)' in message and '"file_name"' in message
    assert 'no_such_video/000000.JPEG' in message and 'does not exist' in message


def test_a_missing_field_is_an_error_naming_the_expected_fields(demo_folder, tmp_path):
    def edit(data):
        del data['images'][0]['frame_id']

    with pytest.raises(
        CocoVIDAnnotationError, match=r"images\[0\] \(id 1\) lacks field\(s\) \['frame_id'\]"
    ):
        build(demo_folder, ann_file=broken_json(demo_folder, tmp_path, edit))


def test_categories_in_another_order_than_the_classes_are_an_error(demo_folder, tmp_path):
    # mmdet labels a box by its category's rank in the json: reversed categories would
    # train the head's class 0 on the digit 9
    path = broken_json(demo_folder, tmp_path, lambda data: data['categories'].reverse())
    with pytest.raises(CocoVIDAnnotationError, match=r'broken.json: "categories" .* another order'):
        build(demo_folder, ann_file=path)


def test_a_category_outside_the_classes_is_an_error(demo_folder, tmp_path):
    def edit(data):
        data['categories'].append(dict(id=11, name='10'))

    with pytest.raises(
        CocoVIDAnnotationError, match=r"categories \['10'\] are not among the classes"
    ):
        build(demo_folder, ann_file=broken_json(demo_folder, tmp_path, edit))


def test_digit_classes_given_as_numbers_are_read_as_names(demo_folder):
    """``--cfg-options 'train_dataloader.dataset.metainfo.classes=[...]'`` reaches the
    dataset with MMEngine's DictAction, which turns '0'..'9' into numbers."""
    cfg = Config.fromfile(DEMO_CONFIG)
    dataset = dict(cfg.train_dataloader.dataset, data_root=demo_folder)
    dataset.update(metainfo=dict(classes=list(range(10))), ann_file=imagenet_vid.ann_file('train'))
    dataset.pop('type')
    with DefaultScope.overwrite_default_scope('tasks_detection'):
        built = ImagenetVIDDataset(**dataset)
    assert built.metainfo['classes'] == tuple(imagenet_vid.CLASSES)
    with (
        pytest.raises(ValueError, match=r'num_classes is 10 .* names 9 classes'),
        DefaultScope.overwrite_default_scope('tasks_detection'),
    ):
        ImagenetVIDDataset(**dict(dataset, metainfo=dict(classes=list(range(9)))))

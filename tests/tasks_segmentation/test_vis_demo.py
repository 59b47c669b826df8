"""The youtube_vis demo set: deterministic, official layout, masks that round-trip as RLE."""

import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from tasks_segmentation.datasets.youtube_vis_json import load_youtube_vis_json
from tasks_segmentation.demo.youtube_vis import CLASSES, MAX_DIGITS, main, rle_encode, write_demo
from tests.helpers.digests import file_digests

SMALL = dict(train=6, valid=3)


def decode(rle):
    return mask_utils.decode(mask_utils.frPyObjects(rle, *rle['size'])).astype(bool)


def test_the_same_seed_writes_the_same_bytes(tmp_path):
    first = write_demo('youtube_vis', str(tmp_path / 'a'), seed=3, num_videos=SMALL)
    second = write_demo('youtube_vis', str(tmp_path / 'b'), seed=3, num_videos=SMALL)
    other = write_demo('youtube_vis', str(tmp_path / 'c'), seed=4, num_videos=SMALL)
    assert file_digests(first) == file_digests(second)
    assert len(file_digests(first)) > 2 * 6 + 2  # two jsons and every frame
    assert file_digests(first)['train.json'] != file_digests(other)['train.json']


def test_rewriting_leaves_no_frames_of_another_seed(tmp_path):
    write_demo('youtube_vis', str(tmp_path / 'set'), seed=1, num_videos=SMALL)
    folder = write_demo('youtube_vis', str(tmp_path / 'set'), seed=2, num_videos=SMALL)
    again = write_demo('youtube_vis', str(tmp_path / 'fresh'), seed=2, num_videos=SMALL)
    assert file_digests(folder) == file_digests(again)


@pytest.mark.parametrize(
    'mask',
    [
        np.zeros((5, 7), bool),
        np.ones((5, 7), bool),
        np.eye(6, 9, k=2, dtype=bool),
        np.random.default_rng(0).random((31, 17)) > 0.6,
    ],
    ids=['empty', 'full', 'starts-with-zeros', 'random'],
)
def test_uncompressed_rle_round_trips_through_pycocotools(mask):
    rle = rle_encode(mask)
    assert rle['size'] == list(mask.shape) and all(isinstance(c, int) for c in rle['counts'])
    assert np.array_equal(decode(rle), mask)
    assert mask_utils.area(mask_utils.frPyObjects(rle, *mask.shape)) == mask.sum()


def test_the_json_is_official_youtube_vis_and_every_label_matches_its_frame(tmp_path):
    folder = write_demo('youtube_vis', str(tmp_path), seed=0, num_videos=SMALL)
    for split, count in SMALL.items():
        data = load_youtube_vis_json(osp.join(folder, f'{split}.json'))
        assert [c['name'] for c in data['categories']] == list(CLASSES)
        assert [c['id'] for c in data['categories']] == list(range(1, 11))
        assert len(data['videos']) == count
        for video in data['videos']:
            assert len(video['file_names']) == video['length']  # every frame listed
            for name in video['file_names']:
                image = cv2.imread(osp.join(folder, split, 'JPEGImages', name))
                assert image.shape == (video['height'], video['width'], 3)
            tracks = [a for a in data['annotations'] if a['video_id'] == video['id']]
            assert 1 <= len(tracks) <= MAX_DIGITS
            for track in tracks:
                assert 1 <= track['category_id'] <= 10
                visible = [s is not None for s in track['segmentations']]
                assert any(visible)
                assert visible == [b is not None for b in track['bboxes']]
                for rle, box, area in zip(track['segmentations'], track['bboxes'], track['areas']):
                    if rle is None:
                        continue
                    mask = decode(rle)
                    assert mask.sum() == area > 0
                    ys, xs = np.nonzero(mask)
                    assert box == [
                        xs.min(),
                        ys.min(),
                        xs.max() + 1 - xs.min(),
                        ys.max() + 1 - ys.min(),
                    ]


def test_masks_of_one_frame_do_not_overlap(tmp_path):
    folder = write_demo('youtube_vis', str(tmp_path), seed=0, num_videos=SMALL)
    with open(osp.join(folder, 'train.json')) as file:
        data = json.load(file)
    for video in data['videos']:
        tracks = [a for a in data['annotations'] if a['video_id'] == video['id']]
        for frame in range(video['length']):
            masks = [decode(t['segmentations'][frame]) for t in tracks if t['segmentations'][frame]]
            if masks:
                assert np.sum(masks, axis=0).max() == 1  # visible pixels after occlusion


def test_the_cli_writes_the_set_under_root(tmp_path, capsys):
    main(['--root', str(tmp_path), '--seed', '0'])
    assert capsys.readouterr().out.startswith(f'youtube_vis: {tmp_path / "youtube_vis"} (')
    size = sum(osp.getsize(osp.join(d, f)) for d, _, fs in os.walk(tmp_path) for f in fs)
    assert size < 32 * 2**20  # ~30 MB, most of it the 1,600 pretraining scenes
    for split in ('train', 'valid', 'pretrain'):
        assert osp.isfile(tmp_path / 'youtube_vis' / f'{split}.json')


def test_an_unknown_set_name_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="writes the demo set 'youtube_vis', not 'ytvis'"):
        write_demo('ytvis', str(tmp_path))
    with pytest.raises(ValueError, match=r"unknown splits \['test'\]"):
        write_demo('youtube_vis', str(tmp_path), num_videos=dict(test=1))

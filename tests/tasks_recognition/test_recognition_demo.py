"""The demo recognition sets: real files in the real layouts, deterministic, distinct."""

import json
import os

import decord
import numpy as np
import pytest

from dlm_core.demo.video_writer import write_mp4
from tasks_recognition.demo import DEMO_CLASSES, correspondence, label_correspondence
from tasks_recognition.demo.action_recognition import SPECS, main, render_demo_clip, write_demo
from tests.helpers.digests import file_digests


@pytest.fixture(scope='module')
def ssv2(tmp_path_factory):
    root = tmp_path_factory.mktemp('demo') / 'ssv2'
    assert write_demo('ssv2', str(root), seed=0) == 800
    return root


@pytest.fixture(scope='module')
def held_out(tmp_path_factory):
    root = tmp_path_factory.mktemp('held_out')
    assert write_demo('ucf101', str(root / 'ucf101')) == 300
    assert write_demo('hmdb51', str(root / 'hmdb51')) == 150
    return root


def read_list(path):
    lines = path.read_text().splitlines()
    return [(line.split()[0], int(line.split()[1])) for line in lines]


def test_ssv2_demo_is_in_the_ssv2_layout(ssv2):
    labels = json.loads((ssv2 / 'annotations/something-something-v2-labels.json').read_text())
    assert labels == {name: str(i) for i, (name, _) in enumerate(DEMO_CLASSES['ssv2'])}
    train = read_list(ssv2 / 'sthv2_train_list_videos.txt')
    val = read_list(ssv2 / 'sthv2_val_list_videos.txt')
    assert (len(train), len(val)) == (600, 200)
    assert not {p for p, _ in train} & {p for p, _ in val}
    assert sorted({lb for _, lb in val}) == list(range(10))
    records = json.loads((ssv2 / 'annotations/something-something-v2-validation.json').read_text())
    first = records[0]
    assert f'{first["id"]}.mp4' == val[0][0]
    assert labels[first['template'].replace('[something]', 'something')] == str(val[0][1])
    total = sum(os.path.getsize(ssv2 / 'videos' / p) for p, _ in train + val)
    assert total < 6e6, f'the SSv2 demo set takes {total / 1e6:.1f} MB'


def test_demo_clips_are_real_16_frame_videos(ssv2):
    path, label = read_list(ssv2 / 'sthv2_val_list_videos.txt')[3]
    reader = decord.VideoReader(str(ssv2 / 'videos' / path), num_threads=1)
    frames = reader.get_batch(list(range(len(reader)))).asnumpy()
    assert frames.shape == (16, 64, 64, 3)
    assert reader.get_avg_fps() == pytest.approx(SPECS['ssv2'].fps)
    drawn = render_demo_clip('ssv2', DEMO_CLASSES['ssv2'][label][1], 0, int(path.split('.')[0]))
    # lossy H.264, but the drawn clip it encodes
    assert np.abs(frames.astype(float) - drawn).mean() < 4


def test_the_same_seed_gives_the_same_bytes_and_another_seed_other_clips(held_out, tmp_path):
    # the command line, run again with the same seed, writes byte-identical files
    main(['--root', str(tmp_path), '--sets', 'hmdb51', '--seed', '0'])
    assert file_digests(tmp_path / 'hmdb51') == file_digests(held_out / 'hmdb51')
    # a clip is a pure function of (set, motion, seed, index); the seed changes it
    for name, motion in (('ssv2', 'turn_cw'), ('ucf101', 'left'), ('hmdb51', 'vanish')):
        frames = render_demo_clip(name, motion, 0, 5)
        assert np.array_equal(frames, render_demo_clip(name, motion, 0, 5))
        assert not np.array_equal(frames, render_demo_clip(name, motion, 1, 5))
    frames = render_demo_clip('ssv2', 'grow', 0, 9)
    write_mp4(str(tmp_path / 'x.mp4'), frames, 12)
    write_mp4(str(tmp_path / 'y.mp4'), frames, 12)
    assert (tmp_path / 'x.mp4').read_bytes() == (tmp_path / 'y.mp4').read_bytes()


def test_held_out_sets_use_their_own_layouts_splits_and_classes(held_out):
    ucf = held_out / 'ucf101'
    class_ind = (ucf / 'annotations/classInd.txt').read_text().split('\n')
    assert class_ind[0] == '1 MoveLeft'
    for split in (1, 2, 3):
        train = read_list(ucf / f'ucf101_train_split_{split}_videos.txt')
        val = read_list(ucf / f'ucf101_val_split_{split}_videos.txt')
        assert (len(train), len(val)) == (216, 84)
        # UCF101 splits hold out whole groups (the same actor never in train and test)
        groups = {p.split('_g')[1][:2] for p, _ in val}
        assert groups == {f'{g:02d}' for g in range(7 * split - 6, 7 * split + 1)}
        assert all(p.startswith(DEMO_CLASSES['ucf101'][lb][0] + '/v_') for p, lb in train)
    hmdb = held_out / 'hmdb51'
    for split in (1, 2, 3):
        assert len(read_list(hmdb / f'hmdb51_train_split_{split}_videos.txt')) == 105
        assert len(read_list(hmdb / f'hmdb51_val_split_{split}_videos.txt')) == 45
    ucf_clip = decord.VideoReader(
        str(ucf / 'videos' / read_list(ucf / 'ucf101_val_split_1_videos.txt')[0][0])
    )
    assert ucf_clip[0].shape == (64, 80, 3)
    assert ucf_clip.get_avg_fps() == pytest.approx(25)


def test_class_correspondence_is_written_down_and_shares_some_classes(held_out):
    written = json.loads((held_out / 'hmdb51/class_correspondence.json').read_text())
    assert written['classes'] == correspondence('hmdb51')
    assert {int(k): v for k, v in written['labels'].items()} == label_correspondence('hmdb51')
    for name in ('ucf101', 'hmdb51'):
        mapping = correspondence(name)
        shared = [c for c, ref in mapping.items() if ref is not None]
        assert 0 < len(shared) < len(mapping)  # some classes shared, one of its own
        for held_out, reference in label_correspondence(name).items():
            assert DEMO_CLASSES[name][held_out][1] == DEMO_CLASSES['ssv2'][reference][1]
    assert correspondence('ucf101')['MoveLeft'] == 'Pushing something from right to left'


def test_held_out_sets_differ_in_hands_backgrounds_and_size():
    specs = [SPECS[name] for name in ('ssv2', 'ucf101', 'hmdb51')]
    writers = [set(range(180)[s.writers]) for s in specs]
    assert not writers[0] & writers[1] and not writers[0] & writers[2]
    assert not set(specs[0].backgrounds) & set(specs[1].backgrounds)
    assert (specs[0].width, specs[0].height) != (specs[1].width, specs[1].height)


def test_unknown_set_is_an_error(tmp_path):
    with pytest.raises(ValueError, match=r"demo set must be one of \['hmdb51', 'ssv2', 'ucf101'\]"):
        write_demo('kinetics', str(tmp_path))

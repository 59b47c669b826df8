"""Any primary with any auxiliary set: the 30 (primary, auxiliary) pairs of configs/dlm/*_aux5.py.

For each primary, two samples of a small demo set (written once, in the real format) go
through the DLM config's own dataset, pipeline and data preprocessor; the primary's shared
sample then goes through each auxiliary's view and tap, which must give the ``(B, N, D_aux)``
tokens the mapper reads. Models are the demo configs' models at random init (no checkpoint):
these tests check the wiring, the training runs check the skill.
"""

from __future__ import annotations

import functools
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DATASETS, DefaultScope

from dlm_core.registry import MODELS
from tests.helpers.demo_configs import without_checkpoints

TASKS = ('ssv2', 'ava', 'thumos14', '50salads', 'imagenet_vid', 'youtube_vis')
PAIRS = [(primary, aux) for primary in TASKS for aux in TASKS if aux != primary]
#: token width of each demo model's encoder
WIDTH = dict(ssv2=96, ava=96, thumos14=64, imagenet_vid=64, youtube_vis=64)
WIDTH['50salads'] = 64
#: the dataset items each primary's batch is made of (ImageNet VID: (video, key frame))
ITEMS = dict(imagenet_vid=[(0, 1), (1, 2)])
DEMO = 'data/demo'


def expected_tokens(aux: str, frames: torch.Tensor) -> int:
    """Tokens of auxiliary ``aux``'s tap for a shared clip of ``frames.shape[1]`` frames."""
    length = frames.shape[1]
    if aux == 'ssv2':  # 8 frames / tubelet 2, (32 / patch 8)^2 patches
        return 4 * 4 * 4
    if aux == 'ava':  # 8 frames / tubelet 2, (64 / patch 16)^2 patches
        return 4 * 4 * 4
    if aux == 'thumos14':  # GridMotionExtractor snippets (4 frames every 2), padded to 8
        snippets = max(1, (max(length, 4) - 4) // 2 + 1)
        return -(-snippets // 8) * 8
    if aux == '50salads':  # one SnippetFeatureExtractor feature per frame
        return length
    if aux == 'imagenet_vid':  # key frame + 2 reference frames, 20 queries each
        return 3 * 20
    if aux == 'youtube_vis':  # 20 queries, whatever the frames
        return 20
    raise KeyError(aux)


# -- a small demo set of each task, in the real format ------------------------------------
def _write_ssv2(folder: str) -> None:
    """Two clips of the SSv2 demo (its own renderer and writer), listed as SSv2 lists them."""
    from dlm_core.demo.video_writer import write_mp4
    from tasks_recognition.demo.action_recognition import SPECS, render_demo_clip
    from tasks_recognition.demo.classes import DEMO_CLASSES

    lines = []
    for label, (_, motion) in enumerate(DEMO_CLASSES['ssv2'][:2]):
        frames = render_demo_clip('ssv2', motion, 0, label)
        write_mp4(osp.join(folder, 'videos', f'{label}.mp4'), frames, SPECS['ssv2'].fps)
        lines.append(f'{label}.mp4 {label}\n')
    with open(osp.join(folder, 'sthv2_train_list_videos.txt'), 'w') as handle:
        handle.writelines(lines)


def _write_sets(root: str) -> None:
    from tasks_detection.demo import ava, imagenet_vid, thumos14
    from tasks_segmentation.demo import action_segmentation, youtube_vis

    _write_ssv2(osp.join(root, 'ssv2'))
    ava.write_demo('ava', osp.join(root, 'ava'), seed=0, limit=1)
    thumos14.write_demo('thumos14', osp.join(root, 'thumos14'), seed=0, limit=2)
    action_segmentation.write_demo('50salads', osp.join(root, '50salads'), seed=0)
    imagenet_vid.write_demo(
        'imagenet_vid', osp.join(root, 'imagenet_vid'), num_videos=dict(train=2, val=1)
    )
    youtube_vis.write_demo(
        'youtube_vis', osp.join(root, 'youtube_vis'), num_videos=dict(train=2, valid=1)
    )


@pytest.fixture(scope='module')
def demo_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('dlm_pairs') / 'demo')
    os.makedirs(root)
    _write_sets(root)
    return root


def rebase(value, root: str):
    """``value`` with every path under data/demo moved under ``root``."""
    if isinstance(value, dict):
        return {k: rebase(v, root) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(rebase(v, root) for v in value)
    if isinstance(value, str) and value.startswith(DEMO):
        return root + value[len(DEMO) :]
    return value


def initialise_task_models(model) -> None:
    """Run each task model's own init_weights: without a checkpoint, some parameters are
    created uninitialised (e.g. Deformable DETR's level embedding) and may hold NaN."""
    for plugin in (model.primary, *model.auxiliaries.values()):
        plugin.task_model.init_weights()


@functools.cache
def prepared(root: str, primary: str):
    """The primary's DLM model (random init), its preprocessed batch and shared sample."""
    cfg = Config.fromfile(f'configs/dlm/{primary}_aux5.py')
    torch.manual_seed(0)
    model = MODELS.build(without_checkpoints(cfg.model.to_dict()))
    initialise_task_models(model)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        dataset = DATASETS.build(rebase(cfg.train_dataloader.dataset.to_dict(), root))
        items = [dataset[index] for index in ITEMS.get(primary, [0, 1])]
    data = model.data_preprocessor(pseudo_collate(items), True)
    sample = model.primary.shared_sample(data['inputs'], data['data_samples'])
    return model, data, sample


#: (T, H, W) of each primary's shared clip; THUMOS14: one frame per (padded) snippet
FRAMES = dict(
    ssv2=(8, 32, 32),
    ava=(8, 64, 64),
    thumos14=(None, 64, 64),
    imagenet_vid=(3, 64, 64),
    youtube_vis=(2, 96, 96),
)
FRAMES['50salads'] = (16, 32, 32)


@pytest.mark.parametrize('primary', TASKS)
def test_each_primary_shares_its_frames_with_the_five_other_tasks(demo_root, primary):
    model, data, sample = prepared(demo_root, primary)
    assert list(model.auxiliaries) == sorted(task for task in TASKS if task != primary)
    frames = sample['frames']
    length, height, width = FRAMES[primary]
    if primary == 'thumos14':  # the frames are aligned with the (padded) snippet features
        length = data['inputs']['features'].shape[2]
    assert frames.shape == (2, length, 3, height, width)
    assert frames.min() >= 0 and frames.max() <= 1 and frames.std() > 0.01
    # one row of the shared sample per row of the primary's token batch
    with torch.no_grad():
        tokens = model.primary.tokens(model.primary.embed(data['inputs']))
    assert tokens.shape[0] == frames.shape[0]


@pytest.mark.parametrize('primary,aux', PAIRS)
def test_the_auxiliary_view_and_tap_give_the_mapper_b_n_d_tokens(demo_root, primary, aux):
    model, _, sample = prepared(demo_root, primary)
    plugin = model.auxiliaries[aux]
    with torch.no_grad():
        tap = plugin.tap(plugin.view(sample))
    frames = sample['frames']
    assert tap.shape == (frames.shape[0], expected_tokens(aux, frames), WIDTH[aux])
    assert torch.isfinite(tap).all()


@pytest.mark.parametrize('primary', TASKS)
def test_a_training_step_of_each_config_trains_the_mapper_gates_and_head_only(demo_root, primary):
    model, data, _ = prepared(demo_root, primary)
    taps = model.auxiliary_taps(data['inputs'], data['data_samples'])
    assert [tap.shape[-1] for tap in taps] == [WIDTH[aux] for aux in model.auxiliaries]
    prompts = model.mapper(taps, 2)
    assert prompts.shape == (2, 5 * 8, WIDTH[primary])
    model.zero_grad()
    loss, _ = model.parse_losses(model(data['inputs'], data['data_samples'], mode='loss'))
    assert torch.isfinite(loss)
    loss.backward()
    grads = {n: p.grad for n, p in model.named_parameters() if p.grad is not None}
    head_ids = {id(p) for module in model.primary.head_modules() for p in module.parameters()}
    head = {n for n, p in model.named_parameters() if id(p) in head_ids}
    assert head and head <= set(grads)  # the head trains with the prompts (DESIGN.md §1.7)
    assert all(name.startswith(('mapper.', 'prompt_gate.')) or name in head for name in grads)
    # the exact start's gates are closed: the first step reaches them (and the head); the
    # mapper's first gradient comes once they open (tests/dlm_core/test_exact_start.py)
    assert any(grads[n].abs().sum() > 0 for n in grads if n.startswith('prompt_gate.'))
    assert any(grads[n].abs().sum() > 0 for n in head)

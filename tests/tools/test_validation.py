"""Bad input stops tools/train.py and tools/test.py before the first step (issue #12).

Each case writes a small run in ``tmp_path`` that is wrong in one way and runs the tool's
``main`` (one case as a real subprocess): the exit status is 2, stderr is one
``error: ...`` line that names the culprit file or config field, there is no traceback, and
the work dir is not created (or, when it held a run, not changed).
"""

from __future__ import annotations

import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import torch

from dlm_core.run_config import load_run_config
from dlm_core.validation import build_runner, validate_run
from tests.helpers.paths import ROOT, repo_env
from tests.helpers.segmentation_layout import dataset_config
from tests.helpers.tool_runs import TOY_DATASET, fails, toy_model, write_config
from tests.helpers.toy_task import ToyTaskModel
from tools import test as test_tool
from tools import train as train_tool


def train_fails(capsys, tmp_path, config, *options) -> str:
    work_dir = tmp_path / 'work'
    message = fails(capsys, train_tool, [config, '--work-dir', str(work_dir), *options])
    assert not work_dir.exists()
    return message


def dataset_fails(capsys, tmp_path, dataset, scope) -> str:
    """``train_fails`` for the toy model trained on ``dataset`` of the task package ``scope``."""
    return train_fails(capsys, tmp_path, write_config(tmp_path, dataset=dataset, scope=scope))


# -- config and model ---------------------------------------------------------------------
def test_missing_config_file(capsys, tmp_path):
    message = train_fails(capsys, tmp_path, str(tmp_path / 'nope.py'))
    assert message == f'error: config file not found: {tmp_path / "nope.py"}'


def test_unknown_model_type_names_the_field_and_a_close_name(capsys, tmp_path):
    config = write_config(tmp_path, model=toy_model(type='dlm.MultiTaskPromptModle'))
    message = train_fails(capsys, tmp_path, config)
    assert message.startswith("error: model.type: 'dlm.MultiTaskPromptModle' is not a registered")
    assert "did you mean 'MultiTaskPromptModel'" in message


def test_unknown_plugin_type_lists_the_registered_plugins(capsys, tmp_path):
    model = toy_model(primary=dict(type='NoSuchTask'))
    message = train_fails(capsys, tmp_path, write_config(tmp_path, model=model))
    assert message.startswith("error: model: task plugin type 'NoSuchTask' is not registered")
    assert 'toy_tasks.ToyTask' in message


def test_unknown_mapper_type(capsys, tmp_path):
    model = toy_model(mapper=dict(type='DoubleLayerMaper'))
    message = train_fails(capsys, tmp_path, write_config(tmp_path, model=model))
    assert "prompt mapper type 'DoubleLayerMaper' is not registered" in message
    assert 'dlm.DoubleLayerMapper' in message


def test_unknown_dataset_type(capsys, tmp_path):
    config = write_config(tmp_path, dataset=dict(type='dlm.ToyTokenDatasett'))
    message = train_fails(capsys, tmp_path, config)
    assert message.startswith("error: train_dataloader.dataset.type: 'dlm.ToyTokenDatasett'")
    assert "did you mean 'ToyTokenDataset'" in message


def test_mapper_width_other_than_the_primary_width(capsys, tmp_path):
    mapper = dict(type='DoubleLayerMapper', num_prompts=4, reduction=4, primary_dim=48)
    config = write_config(tmp_path, model=toy_model(mapper=mapper))
    message = train_fails(capsys, tmp_path, config)
    assert message.startswith('error: model.mapper.primary_dim is 48, but the primary ToyTask')
    assert 'has token width 32' in message and 'primary_dim=32' in message


def test_mapper_aux_width_other_than_the_auxiliary_width(capsys, tmp_path):
    mapper = dict(type='DoubleLayerMapper', num_prompts=4, reduction=4, aux_dims=[16])
    config = write_config(tmp_path, model=toy_model(mapper=mapper))
    message = train_fails(capsys, tmp_path, config)
    assert message.startswith("error: model.mapper.aux_dims[0] is 16, but auxiliary 'aux'")
    assert 'token width 24' in message


def test_missing_auxiliary_checkpoint_names_the_command_that_makes_it(capsys, tmp_path):
    task_config = tmp_path / 'toy_single_task.py'
    task_work_dir = tmp_path / 'toy_single_task_work'
    task_config.write_text(
        'model = dict(in_dim=16, dim=24, depth=2, num_classes=2)\n'
        f'work_dir = {str(task_work_dir)!r}\n'
    )
    aux = dict(type='ToyTask', task_config=str(task_config))
    config = write_config(tmp_path, model=toy_model(auxiliaries=dict(aux=aux)))
    message = train_fails(capsys, tmp_path, config)
    assert message == (
        f'error: model: ToyTask: checkpoint {task_work_dir} does not exist; produce it with: '
        f'python tools/train.py {task_config}'
    )


def test_auxiliary_checkpoint_of_another_model(capsys, tmp_path):
    checkpoint = tmp_path / 'deeper.pth'
    torch.save({'state_dict': ToyTaskModel(16, 24, 3, 2).state_dict()}, checkpoint)
    aux = dict(
        type='ToyTask', in_dim=16, dim=24, depth=2, num_classes=2, checkpoint=str(checkpoint)
    )
    config = write_config(tmp_path, model=toy_model(auxiliaries=dict(aux=aux)))
    message = train_fails(capsys, tmp_path, config)
    assert message.startswith(f"error: model: checkpoint {checkpoint} does not match ToyTask's")
    assert 'unexpected keys [layers.2.' in message


def test_load_from_a_checkpoint_of_another_width(capsys, tmp_path):
    checkpoint = tmp_path / 'wide.pth'
    torch.save({'state_dict': {'ema_prompts': torch.zeros(4, 48)}}, checkpoint)
    config = write_config(tmp_path, load_from=str(checkpoint))
    message = train_fails(capsys, tmp_path, config)
    assert message.startswith(f'error: load_from: checkpoint {checkpoint} holds ema_prompts of')
    assert 'shape (4, 48), but this model (MultiTaskPromptModel) expects (4, 32)' in message


def test_load_from_a_checkpoint_of_another_model(capsys, tmp_path):
    checkpoint = tmp_path / 'single_task.pth'
    torch.save({'state_dict': ToyTaskModel(16, 32, 4, 3).state_dict()}, checkpoint)
    config = write_config(tmp_path, load_from=str(checkpoint))
    message = train_fails(capsys, tmp_path, config)
    assert 'shares no tensor name with this model (MultiTaskPromptModel)' in message


def test_missing_resume_checkpoint(capsys, tmp_path):
    missing = tmp_path / 'epoch_9.pth'
    config = write_config(tmp_path)
    message = train_fails(capsys, tmp_path, config, '--resume', str(missing))
    assert message == f'error: resume checkpoint (load_from): checkpoint {missing} does not exist'


def test_test_tool_with_a_missing_checkpoint(capsys, tmp_path):
    config = write_config(
        tmp_path,
        test_dataloader=dict(
            batch_size=4, num_workers=0, collate_fn=dict(type='default_collate'),
            sampler=dict(type='DefaultSampler', shuffle=False), dataset=TOY_DATASET,
        ),
        test_evaluator=dict(type='ToyAccuracy'),
        test_cfg=dict(type='TestLoop'),
    )  # fmt: skip
    missing = tmp_path / 'epoch_1.pth'
    work_dir = tmp_path / 'work'
    message = fails(capsys, test_tool, [config, str(missing), '--work-dir', str(work_dir)])
    assert message == f'error: load_from: checkpoint {missing} does not exist'
    assert not work_dir.exists()


# -- action segmentation (MS-TCN layout) ----------------------------------------------------
def write_segmentation(root, lengths=(12, 12), labels=None):
    """Two videos: features ``(4, T)`` and one class name per frame."""
    for sub in ('features', 'groundTruth', 'splits'):
        os.makedirs(root / sub, exist_ok=True)
    (root / 'mapping.txt').write_text('0 background\n1 cut\n2 mix\n')
    names = ['background', 'cut', 'mix']
    for index, length in enumerate(lengths):
        video = f'v{index}'
        np.save(root / 'features' / f'{video}.npy', np.zeros((4, length), np.float32))
        frames = labels or [names[t * 3 // length] for t in range(length)]
        (root / 'groundTruth' / f'{video}.txt').write_text(''.join(f'{n}\n' for n in frames))
    (root / 'splits' / 'train.split1.bundle').write_text('v0.txt\nv1.txt\n')
    return root


def segmentation_dataset(root, **changes):
    return dataset_config(root, [], **changes)


def segmentation_config(tmp_path, root, **changes) -> str:
    dataset = segmentation_dataset(root, **changes)
    return write_config(tmp_path, dataset=dataset, scope='tasks_segmentation')


def segmentation_fails(capsys, tmp_path, root, **changes) -> str:
    return train_fails(capsys, tmp_path, segmentation_config(tmp_path, root, **changes))


def test_missing_annotation_file(capsys, tmp_path):
    root = write_segmentation(tmp_path / 'salads')
    message = segmentation_fails(capsys, tmp_path, root, ann_file='splits/train.split9.bundle')
    assert message == (
        'error: train_dataloader.dataset.ann_file: annotation file '
        f"{root}/splits/train.split9.bundle does not exist ('splits/train.split9.bundle' is "
        f"relative to data_root '{root}')"
    )


def test_missing_data_prefix_folder(capsys, tmp_path):
    root = write_segmentation(tmp_path / 'salads')
    prefix = dict(features='i3d_features')
    message = segmentation_fails(capsys, tmp_path, root, data_prefix=prefix)
    assert message.startswith(
        f'error: train_dataloader.dataset.data_prefix.features: {root}/i3d_features does not exist'
    )


def test_missing_data_root(capsys, tmp_path):
    message = segmentation_fails(capsys, tmp_path, tmp_path / 'nowhere')
    assert message == (
        f'error: train_dataloader.dataset.data_root: folder {tmp_path / "nowhere"} does not exist'
    )


def test_missing_feature_file(capsys, tmp_path):
    root = write_segmentation(tmp_path / 'salads')
    os.remove(root / 'features' / 'v1.npy')
    message = segmentation_fails(capsys, tmp_path, root)
    assert message == (
        f"error: train_dataloader.dataset: {root}/splits/train.split1.bundle names video 'v1', "
        f'but its feature file {root}/features/v1.npy does not exist'
    )


def test_unreadable_feature_file(capsys, tmp_path):
    root = write_segmentation(tmp_path / 'salads')
    (root / 'features' / 'v1.npy').write_bytes(b'not an array')
    message = segmentation_fails(capsys, tmp_path, root)
    assert message.startswith(
        f'error: train_dataloader.dataset: {root}/features/v1.npy: not a readable .npy array'
    )


def test_feature_and_label_lengths_disagree(capsys, tmp_path):
    root = write_segmentation(tmp_path / 'salads', lengths=(12, 12))
    np.save(root / 'features' / 'v1.npy', np.zeros((4, 10), np.float32))
    message = segmentation_fails(capsys, tmp_path, root)
    assert message.startswith(
        f'error: train_dataloader.dataset: {root}/features/v1.npy has 10 frames (shape (C, T) = '
        f'(4, 10)) but {root}/groundTruth/v1.txt labels 12 frames'
    )


def test_label_outside_the_class_map(capsys, tmp_path):
    root = write_segmentation(tmp_path / 'salads')
    (root / 'groundTruth' / 'v1.txt').write_text('cut\n' * 5 + 'stir\n' + 'mix\n' * 6)
    message = segmentation_fails(capsys, tmp_path, root)
    assert message.startswith(
        f"error: train_dataloader.dataset: {root}/groundTruth/v1.txt: line 6 has label 'stir', "
        f'which is not in {root}/mapping.txt'
    )


# -- action recognition -------------------------------------------------------------------
def test_recognition_label_outside_the_class_range(capsys, tmp_path):
    listing = tmp_path / 'train_list.txt'
    listing.write_text('a.mp4 0\nb.mp4 7\n')
    dataset = dict(
        type='ValidatedVideoDataset',
        ann_file=str(listing),
        pipeline=[],
        num_classes=3,
        check_videos='none',
    )
    message = dataset_fails(capsys, tmp_path, dataset, 'tasks_recognition')
    assert message.startswith(
        f'error: train_dataloader.dataset: {listing}, line 2: label 7 is outside the class '
        'range [0, 3)'
    )


# -- boxes outside the image ----------------------------------------------------------------
def one_class_frames_dataset(type_name, ann, frames, **annotation) -> dict:
    """A video dataset of one class, ``'zero'``, with its frames under ``frames`` and the
    JSON annotation file ``ann`` that holds ``annotation``'s fields."""
    ann.write_text(json.dumps(dict(categories=[dict(id=1, name='zero')], **annotation)))
    return dict(
        type=type_name,
        ann_file=str(ann),
        data_prefix=dict(img_path=str(frames)),
        metainfo=dict(classes=('zero',)),
        pipeline=[],
    )


def test_ava_box_outside_the_frame(capsys, tmp_path):
    csv = tmp_path / 'ava_train_v2.2.csv'
    csv.write_text('vid,0902,0.1,0.2,0.4,0.6,1,0\nvid,0903,0.1,0.2,1.4,0.6,1,0\n')
    labels = tmp_path / 'labels.pbtxt'
    labels.write_text('item {\n  name: "stand"\n  id: 1\n}\n')
    dataset = dict(
        type='ValidatedAVADataset',
        ann_file=str(csv),
        label_file=str(labels),
        pipeline=[],
        check_frames=False,
        timestamp_start=900,
        timestamp_end=910,
    )
    message = dataset_fails(capsys, tmp_path, dataset, 'tasks_detection')
    assert message.startswith(
        f'error: train_dataloader.dataset: {csv}, line 2: bad box (0.1, 0.2, 1.4, 0.6)'
    )


def test_vid_box_outside_the_image(capsys, tmp_path):
    frames = tmp_path / 'Data'
    os.makedirs(frames / 'v0')
    (frames / 'v0' / '000000.JPEG').write_bytes(b'')
    ann = tmp_path / 'vid_train.json'
    dataset = one_class_frames_dataset(
        'ImagenetVIDDataset', ann, frames,
        videos=[dict(id=1, name='v0')],
        images=[
            dict(id=1, file_name='v0/000000.JPEG', height=64, width=64, frame_id=0, video_id=1)
        ],
        annotations=[
            dict(id=1, video_id=1, image_id=1, category_id=1, instance_id=0,
                 bbox=[40, 10, 30, 20], area=600, iscrowd=0)
        ],
    )  # fmt: skip
    message = dataset_fails(capsys, tmp_path, dataset, 'tasks_detection')
    assert message.startswith(
        f'error: train_dataloader.dataset: {ann}: annotations[0] (id 1): field "bbox" '
        '[40, 10, 30, 20] lies outside its image v0/000000.JPEG (64x64)'
    )


def test_vis_box_outside_the_frame(capsys, tmp_path):
    frames = tmp_path / 'JPEGImages'
    os.makedirs(frames)
    ann = tmp_path / 'train.json'
    dataset = one_class_frames_dataset(
        'YouTubeVISJsonDataset', ann, frames,
        videos=[dict(id=1, width=64, height=48, length=2,
                     file_names=['v0/00000.jpg', 'v0/00001.jpg'])],
        annotations=[
            dict(id=7, video_id=1, category_id=1, iscrowd=0, segmentations=[None, None],
                 bboxes=[None, [10, 30, 20, 30]], areas=[None, 600])
        ],
    )  # fmt: skip
    message = dataset_fails(capsys, tmp_path, dataset, 'tasks_segmentation')
    assert message.startswith(
        f'error: train_dataloader.dataset: {ann}: video 1 ("v0"), annotation 7, frame 1: '
        '"bboxes" entry [10, 30, 20, 30] lies outside the frame'
    )


# -- temporal detection (THUMOS14) ----------------------------------------------------------
def test_thumos_missing_feature_file(capsys, tmp_path):
    features = tmp_path / 'features'
    os.makedirs(features)
    np.save(features / 'video_validation_1.npy', np.zeros((20, 8), np.float32))
    ann = tmp_path / 'thumos14.json'
    video = dict(subset='Validation', duration=10.0, fps=30.0,
                 annotations=[dict(label='jump', segment=[1.0, 3.0], label_id=0)])  # fmt: skip
    ann.write_text(
        json.dumps(dict(database=dict(video_validation_1=video, video_validation_2=video)))
    )
    dataset = dict(
        type='Thumos14Dataset',
        ann_file=str(ann),
        metainfo=dict(classes=['jump']),
        data_prefix=dict(feat=str(features)),
        pipeline=[],
    )
    message = dataset_fails(capsys, tmp_path, dataset, 'tasks_detection')
    assert message.startswith(
        f'error: train_dataloader.dataset: {ann}: database["video_validation_2"]: its feature '
        f'file {features}/video_validation_2.npy does not exist'
    )


# -- the work dir of an earlier run stays as it was ----------------------------------------
def snapshot(folder) -> dict:
    files = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = osp.join(root, name)
            with open(path, 'rb') as handle:
                files[osp.relpath(path, folder)] = handle.read()
    return files


def test_a_failing_run_leaves_an_existing_work_dir_byte_identical(capsys, tmp_path):
    work_dir = tmp_path / 'work'
    os.makedirs(work_dir / '20260101_000000')
    torch.save({'state_dict': {'ema_prompts': torch.ones(4, 32)}}, work_dir / 'epoch_1.pth')
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'epoch_1.pth'))
    (work_dir / '20260101_000000' / '20260101_000000.log').write_text('an earlier run\n')
    before = snapshot(work_dir)
    root = write_segmentation(tmp_path / 'salads')
    (root / 'groundTruth' / 'v1.txt').write_text('cut\n' * 5 + 'stir\n' + 'mix\n' * 6)
    config = segmentation_config(tmp_path, root)
    for resume in ([], ['--resume']):
        message = fails(capsys, train_tool, [config, '--work-dir', str(work_dir), *resume])
        assert "has label 'stir'" in message
        assert snapshot(work_dir) == before


def test_the_tool_as_a_process_exits_2_with_one_line(tmp_path):
    mapper = dict(type='DoubleLayerMapper', num_prompts=4, reduction=4, primary_dim=48)
    config = write_config(tmp_path, model=toy_model(mapper=mapper))
    work_dir = tmp_path / 'work'
    env = repo_env(OMP_NUM_THREADS='1')
    result = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'train.py'), config, '--work-dir', str(work_dir)],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert 'Traceback' not in result.stderr + result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith('error: ')]
    assert errors == [
        'error: model.mapper.primary_dim is 48, but the primary ToyTask has token width 32, so '
        'it could not take the prompts; set primary_dim=32 or leave it out (it defaults to the '
        "primary's width)"
    ]
    assert not work_dir.exists()


# -- a good run: what validation built is what the runner uses ------------------------------
def test_the_runner_reuses_the_validated_model_and_datasets(tmp_path):
    val_loader = dict(
        batch_size=4, num_workers=0, collate_fn=dict(type='default_collate'),
        sampler=dict(type='DefaultSampler', shuffle=False), dataset=TOY_DATASET,
    )  # fmt: skip
    config = write_config(
        tmp_path,
        val_dataloader=val_loader,
        val_cfg=dict(type='ValLoop'),
        val_evaluator=dict(type='ToyAccuracy'),
        log_level='INFO',
    )
    # a name of its own: MMEngine keys loggers by config name and start second
    os.rename(config, tmp_path / 'reuse.py')
    config = str(tmp_path / 'reuse.py')
    cfg = load_run_config(config, str(tmp_path / 'work'))
    validated = validate_run(cfg, 'train')
    assert not (tmp_path / 'work').exists()
    assert len(validated.datasets) == 1  # train and val share one equal dataset config
    runner = build_runner(cfg, validated)
    assert runner.model is validated.model
    dataset = validated.datasets[0][1]
    assert runner.train_dataloader.dataset is dataset
    assert runner.val_dataloader.dataset is dataset
    with open(osp.join(runner.log_dir, f'{runner.timestamp}.log')) as handle:
        log = handle.read()
    assert 'DLM: primary ToyTask' in log and '= 18.41 %' in log  # the trainable share
    assert 'validated the config, the model and 1 dataset(s)' in log

"""The bench preset of the demo sets (``make_demo_data.py --preset bench``): the default
sets unchanged, the bench splits disjoint, its training splits the default ones, and each
primary's held-out validation split read by its dataset and evaluator as dlm_bench wires it.
Every set is written small (``limit``)."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import importlib
import json
import os
import os.path as osp

import pytest
from dlm_bench import splits
from dlm_bench.catalog import PRIMARIES, REPO

from dlm_core.run_config import load_run_config
from dlm_core.validation import validate_run
from tools.data import make_demo_data

ANNOTATIONS = ('.csv', '.json', '.txt', '.bundle', '.pbtxt', '.pkl')
#: sha256 of the annotation files of the small default sets below, as the generators wrote
#: them before the bench preset existed (commit 6d4d606)
DEFAULT_DIGESTS = {
    '50salads': '1cab217483347282f1501570abf418f52f90aa300f76f5a772295a71a9ffd42b',
    'ava': '62e175d5695419c0c2b86ba586e560e0480caaaeecb82f5645a80ad52a436996',
    'imagenet_vid': 'f97e8a0f8363512f840e23e23885daf0e2d001dd52e77e37de2deacc0a993e75',
    'ssv2': '999c0ca3b7f1970080252a309ec06a08c5453d77c8f553a954ab0f8086486d02',
    'thumos14': 'a4f9533a27b43ed927c3135c7a7c25bd158dd781e5a358e7af572cca8d1cdb97',
    'youtube_vis': '1850ff5e272265a94b5df6d10a607c5a9955fd49ddb8357fe781dc03563b296d',
}
LIMIT = 2


def module(task):
    return importlib.import_module(make_demo_data.DEMO_SETS[task])


def digest(folder: str) -> str:
    sha = hashlib.sha256()
    for directory, _, files in sorted(os.walk(folder)):
        for name in sorted(files):
            if name.endswith(ANNOTATIONS):
                path = osp.join(directory, name)
                sha.update(osp.relpath(path, folder).encode())
                with open(path, 'rb') as handle:
                    sha.update(handle.read())
    return sha.hexdigest()


def write_small_default(task: str, folder: str) -> None:
    """The default set of ``task``, small, through the default code path of its writer."""
    writer = module(task)
    if task == 'ssv2':
        saved, writer.SSV2_CLIPS = writer.SSV2_CLIPS, (2, 1)
        try:
            writer.write_demo('ssv2', folder, 0)
        finally:
            writer.SSV2_CLIPS = saved
    elif task in ('ava', 'thumos14'):
        writer.write_demo(task, folder, 0, limit=LIMIT)
    elif task == '50salads':
        spec = writer.SPECS[task]
        writer.SPECS[task] = dataclasses.replace(spec, videos=spec.videos[:5])
        try:
            writer.write_demo(task, folder, 0)
        finally:
            writer.SPECS[task] = spec
    elif task == 'imagenet_vid':
        writer.write_demo(task, folder, 0, {'train': LIMIT, 'val': LIMIT})
    else:
        writer.write_demo(task, folder, 0, {'train': LIMIT, 'valid': LIMIT, 'pretrain': 1})


@pytest.mark.parametrize('task', PRIMARIES)
def test_the_default_sets_are_unchanged(tmp_path, task):
    write_small_default(task, str(tmp_path / task))
    assert digest(str(tmp_path / task)) == DEFAULT_DIGESTS[task]


@pytest.fixture(scope='module')
def bench(tmp_path_factory):
    """Each primary's bench set, ``LIMIT`` videos a split (SSv2: one clip a class)."""
    root = tmp_path_factory.mktemp('bench')
    for task in PRIMARIES:
        limit = 1 if task == 'ssv2' else LIMIT
        module(task).write_demo(task, str(root / task), 0, preset='bench', limit=limit)
    return str(root)


def _lines(path):
    with open(path) as handle:
        return [line.split()[0] for line in handle if line.strip()]


def _sha(path):
    with open(path, 'rb') as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def bench_splits(root: str, task: str) -> dict:
    """``{split: {video: sha256 of its first frame or media file}}`` of a bench set."""
    folder = osp.join(root, task)
    if task == 'ssv2':
        return {
            split: {v: _sha(osp.join(folder, 'videos', v)) for v in _lines(list_file)}
            for split in ('train', 'val', 'heldout')
            for list_file in [osp.join(folder, f'sthv2_{split}_list_videos.txt')]
        }
    if task == 'ava':
        found = {}
        for split in ('train', 'val', 'heldout'):
            with open(osp.join(folder, 'annotations', f'ava_{split}_v2.2.csv')) as handle:
                videos = {row[0] for row in csv.reader(handle)}
            frame = osp.join(folder, 'rawframes', '{}', 'img_00001.jpg')
            found[split] = {v: _sha(frame.format(v)) for v in videos}
        return found
    if task == 'thumos14':
        with open(osp.join(folder, 'annotations', 'thumos14.json')) as handle:
            database = json.load(handle)['database']
        found = {}
        for vid, video in database.items():
            npy = osp.join(folder, 'features', f'{vid}.npy')
            found.setdefault(video['subset'], {})[vid] = _sha(npy)
        return found
    if task == '50salads':
        found = {}
        for split in ('train', 'val', 'test'):
            names = _lines(osp.join(folder, 'splits', f'{split}.split1.bundle'))
            videos = {osp.splitext(n)[0] for n in names}
            found[split] = {v: _sha(osp.join(folder, 'features', f'{v}.npy')) for v in videos}
        return found
    if task == 'imagenet_vid':
        files = {s: f'annotations/imagenet_vid_{s}.json' for s in ('train', 'train_heldout', 'val')}
        frames = osp.join(folder, 'Data', 'VID')
    else:
        files = {s: f'{s}.json' for s in ('train', 'train_heldout', 'valid')}
    found = {}
    for split, name in files.items():
        with open(osp.join(folder, name)) as handle:
            data = json.load(handle)
        if task == 'imagenet_vid':
            first = {}
            for image in data['images']:
                if image['frame_id'] == 0:
                    first[image['video_id']] = osp.join(frames, image['file_name'])
            found[split] = {osp.dirname(p): _sha(p) for p in first.values()}
        else:
            image_dir = 'valid' if split == 'valid' else 'train'
            found[split] = {
                v['file_names'][0]: _sha(
                    osp.join(folder, image_dir, 'JPEGImages', v['file_names'][0])
                )
                for v in data['videos']
            }
    return found


@pytest.mark.parametrize('task', PRIMARIES)
def test_the_bench_splits_are_disjoint(bench, task):
    found = bench_splits(bench, task)
    per_split = 10 if task == 'ssv2' else LIMIT  # SSv2: one clip of each class
    assert len(found) == 3 and all(len(videos) == per_split for videos in found.values())
    names = [set(videos) for videos in found.values()]
    contents = [set(videos.values()) for videos in found.values()]
    for i in range(3):
        for j in range(i + 1, 3):
            assert not names[i] & names[j] and not contents[i] & contents[j], (task, i, j)


@pytest.mark.parametrize('task', ('ssv2', 'ava', 'thumos14', 'imagenet_vid', 'youtube_vis'))
def test_the_bench_training_split_is_the_default_one(bench, tmp_path, task):
    writer = module(task)
    if task == 'ssv2':
        writer.write_demo(task, str(tmp_path), 0, limit=1)
    elif task in ('ava', 'thumos14'):
        writer.write_demo(task, str(tmp_path), 0, limit=LIMIT)
    elif task == 'imagenet_vid':
        writer.write_demo(task, str(tmp_path), 0, {'train': LIMIT, 'val': LIMIT})
    else:
        writer.write_demo(task, str(tmp_path), 0, {'train': LIMIT, 'valid': LIMIT})
    train = 'Validation' if task == 'thumos14' else 'train'
    if task == 'thumos14':
        with open(tmp_path / 'annotations' / 'thumos14.json') as handle:
            database = json.load(handle)['database']
        with open(osp.join(bench, task, 'annotations', 'thumos14.json')) as handle:
            bench_database = json.load(handle)['database']
        assert {k: v for k, v in bench_database.items() if v['subset'] == train} == {
            k: v for k, v in database.items() if v['subset'] == train
        }
        return
    relative = {
        'ssv2': 'sthv2_train_list_videos.txt',
        'ava': 'annotations/ava_train_v2.2.csv',
        'imagenet_vid': 'annotations/imagenet_vid_train.json',
        'youtube_vis': 'train.json',
    }[task]
    assert _sha(tmp_path / relative) == _sha(osp.join(bench, task, relative))


def _describes(dataset) -> str:
    return ' '.join(str(dataset.get_data_info(i)) for i in range(len(dataset)))


@pytest.mark.parametrize('task', PRIMARIES)
def test_each_held_out_split_loads_in_its_dataset_and_evaluator(bench, tmp_path, task):
    """The options dlm_bench gives a run: the validation dataset and evaluator (checked
    against each other by validate_run) read the held-out videos, the test dataset the
    test videos, the training dataset the training videos."""
    options = {**splits.data_options(task, bench), **splits.validation_options(task, bench)}
    config = osp.join(REPO, 'configs', 'tasks', f'{task}_demo.py')
    cfg = load_run_config(config, str(tmp_path / 'work'), options)
    built = validate_run(cfg, 'train').datasets
    test = validate_run(load_run_config(config, str(tmp_path / 'work'), options), 'test')
    assert len(built) == 2
    found = bench_splits(bench, task)
    held_out = {'ssv2': 'heldout', 'ava': 'heldout', 'thumos14': 'HeldOut', '50salads': 'val'}
    held_out = held_out.get(task, 'train_heldout')
    train_name = 'Validation' if task == 'thumos14' else 'train'
    test_name = next(s for s in found if s not in (held_out, train_name))
    for (_, dataset), split in ((built[0], train_name), (built[1], held_out)):
        text = _describes(dataset)
        assert all(_key(v) in text for v in found[split]), (task, split)
        assert not any(_key(v) in text for s in found if s != split for v in found[s])
    text = _describes(test.datasets[0][1])
    assert all(_key(v) in text for v in found[test_name]), (task, 'test')
    assert not any(_key(v) in text for v in found[held_out])


def _key(video: str) -> str:
    """The part of a video's name that a dataset's sample describes."""
    if video.endswith('.mp4'):
        return '/' + video  # 1.mp4 is in 21.mp4
    return osp.dirname(video) if video.endswith('.jpg') else video


def test_the_tool_writes_the_bench_preset_under_its_own_root_and_marker(tmp_path, monkeypatch):
    calls = []

    class Writer:
        DEMO_VERSION = None

        @staticmethod
        def write_demo(name, folder, seed, **kwargs):
            os.makedirs(folder)
            calls.append((name, folder, kwargs))

    monkeypatch.setattr(make_demo_data.importlib, 'import_module', lambda name: Writer)
    make_demo_data.main(['--preset', 'bench', '--root', str(tmp_path), '--sets', 'ava', 'gtea'])
    assert calls == [
        ('ava', str(tmp_path / 'ava'), {'preset': 'bench'}),
        ('gtea', str(tmp_path / 'gtea'), {}),  # a held-out set: the default one
    ]
    assert (tmp_path / 'ava' / '.complete').read_text() == 'seed=0\npreset=bench\n'
    assert (tmp_path / 'gtea' / '.complete').read_text() == 'seed=0\n'
    assert make_demo_data.write_set('ava', str(tmp_path), preset='bench') == 'kept'
    assert make_demo_data.write_set('ava', str(tmp_path)) == 'written'  # default != bench
    assert make_demo_data.ROOTS == {'default': 'data/demo', 'bench': splits.BENCH_ROOT}

"""dlm_bench.splits: validation carved from the training data only; the low-data subset."""

from __future__ import annotations

import os
import os.path as osp

from dlm_bench import splits
from dlm_bench.catalog import REPO
from mmengine.config import Config


def annotated_repo(tmp_path):
    """A repository root with the real configs and small annotation files (16 training
    and 4 test samples a task) in the demo sets' formats."""
    repo = tmp_path / 'repo'
    repo.mkdir()
    os.symlink(osp.join(REPO, 'configs'), repo / 'configs')
    for task, line in (('50salads', 'rgb-{:02d}-1.txt'), ('ssv2', '{}.mp4 3')):
        cfg = Config.fromfile(f'{REPO}/configs/tasks/{task}_demo.py', import_custom_modules=False)
        for loader, first in ((cfg.train_dataloader, 0), (cfg.test_dataloader, 100)):
            dataset = loader.dataset
            path = repo / (dataset.get('data_root') or '') / dataset.ann_file
            path.parent.mkdir(parents=True, exist_ok=True)
            count = 16 if first == 0 else 4
            path.write_text(''.join(line.format(first + i) + '\n' for i in range(count)))
    return str(repo)


def lines(path):
    with open(path) as handle:
        return [line.strip() for line in handle if line.strip()]


def test_validation_is_held_out_from_training_and_never_the_test_split(tmp_path):
    repo = annotated_repo(tmp_path)
    for task in ('50salads', 'ssv2'):
        files = splits.write_splits(str(tmp_path / 'runs'), task, repo)
        training = lines(splits.training_annotations(task, repo))
        train, val, low = lines(files.train), lines(files.val), lines(files.low_data)
        assert val == sorted(training)[3::4] and len(val) == 4
        assert sorted(train + val) == sorted(training) and not set(train) & set(val)
        assert set(low) <= set(train) and len(low) == round(len(train) * 0.1)
        assert not any(v.startswith(('10', 'rgb-10')) for v in val)  # test samples: 100+
        # deterministic
        assert lines(splits.write_splits(str(tmp_path / 'runs'), task, repo).low_data) == low


def test_options_point_training_and_validation_at_the_carved_files(tmp_path):
    repo = annotated_repo(tmp_path)
    options = splits.split_options(str(tmp_path / 'runs'), 'ssv2', root=repo)
    files = splits.split_files(str(tmp_path / 'runs'), 'ssv2', repo)
    assert options['train_dataloader.dataset.ann_file'] == files.train
    assert options['val_dataloader.dataset.ann_file'] == files.val
    assert options['test_dataloader.dataset.ann_file'].endswith('sthv2_val_list_videos.txt')
    low = splits.split_options(str(tmp_path / 'runs'), 'ssv2', low_data=True, root=repo)
    assert low['train_dataloader.dataset.ann_file'] == files.low_data
    assert splits.split_options(str(tmp_path / 'runs'), 'thumos14') == {}


def test_carving_by_hand():
    train, val = splits.carve_lines(['h', 'a', 'g', 'b', 'f', 'c', 'e', 'd', ''])
    assert val == ['d', 'h'] and train == ['a', 'b', 'c', 'e', 'f', 'g']
    assert splits.low_data_lines(list('abcdefghij'), 0.1, seed=3) == splits.low_data_lines(
        list('abcdefghij'), 0.1, seed=3
    )
    assert len(splits.low_data_lines(['x'], 0.1)) == 1

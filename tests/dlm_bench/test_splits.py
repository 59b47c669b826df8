"""dlm_bench.splits: runs read the bench preset; validation is its held-out split, never
the test split; the low-data subset comes from the training split only."""

from __future__ import annotations

import os
import os.path as osp

import pytest
from dlm_bench import splits
from dlm_bench.catalog import PRIMARIES, REPO
from mmengine.config import Config

from tests.helpers.bench_runs import annotated_repo


def lines(path):
    with open(path) as handle:
        return [line.strip() for line in handle if line.strip()]


def test_the_low_data_subset_comes_from_the_bench_training_split(tmp_path):
    repo = annotated_repo(tmp_path)
    for task, line in (('50salads', 'rgb-{:02d}-1.txt'), ('ssv2', '{}.mp4 3')):
        training = lines(splits.training_annotations(task, repo))
        assert splits.training_annotations(task, repo).startswith(f'{repo}/data/bench/{task}/')
        assert training == [line.format(i) for i in range(16)]  # not data/demo's 500+
        low = lines(splits.write_splits(str(tmp_path / 'runs'), task, repo).low_data)
        assert set(low) <= set(training) and len(low) == round(16 * splits.LOW_DATA_FRACTION)
        # deterministic
        assert lines(splits.write_splits(str(tmp_path / 'runs'), task, repo).low_data) == low


def test_a_missing_bench_set_is_one_error_naming_the_file_and_the_command(tmp_path):
    os.symlink(osp.join(REPO, 'configs'), tmp_path / 'configs')
    with pytest.raises(FileNotFoundError, match=r'sthv2_train_list_videos\.txt.*--preset bench'):
        splits.write_splits(str(tmp_path / 'runs'), 'ssv2', str(tmp_path))


def test_options_validate_on_the_held_out_split_and_leave_training_and_test_alone(
    tmp_path, monkeypatch
):
    repo = annotated_repo(tmp_path)
    runs = str(tmp_path / 'runs')
    assert splits.data_options('ssv2') == {'data_root': 'data/bench/ssv2'}
    options = splits.split_options(runs, 'ssv2', root=repo)
    assert options == {
        'val_dataloader.dataset.ann_file': 'data/bench/ssv2/sthv2_heldout_list_videos.txt'
    }
    low = splits.split_options(runs, 'ssv2', low_data=True, root=repo)
    assert low['train_dataloader.dataset.ann_file'] == splits.split_files(runs, 'ssv2').low_data
    monkeypatch.delitem(splits.FORMATS, 'thumos14')  # a format with no subset writer
    with pytest.raises(ValueError, match='training subset'):
        splits.split_options(runs, 'thumos14', low_data=True)
    assert splits.split_options(runs, 'thumos14') == {
        'val_dataloader.dataset.subset': 'HeldOut',
        'val_evaluator.subset': 'HeldOut',
    }


@pytest.mark.parametrize('task', PRIMARIES)
def test_every_primary_validates_dataset_and_evaluator_on_one_held_out_file(task):
    """The dataset and the evaluator read the same held-out file (or subset), which is
    neither the training nor the test file of the config."""
    assert splits.has_validation(task) and splits.validation_source(task) == 'carved'
    cfg = Config.fromfile(f'{REPO}/configs/tasks/{task}_demo.py', import_custom_modules=False)
    options = splits.validation_options(task, '/sets')
    dataset = {k.split('.')[-1]: v for k, v in options.items() if '_dataloader.' in k}
    evaluator = {k.split('.')[-1]: v for k, v in options.items() if k.startswith('val_evaluator')}
    assert dataset and all(k.startswith('val_') for k in options)
    for key, value in evaluator.items():
        assert osp.basename(str(dataset[key])) == osp.basename(str(value)), key
    used = {
        str(loader.dataset.get(key))
        for loader in (cfg.train_dataloader, cfg.test_dataloader)
        for key in ('ann_file', 'subset')
    }
    assert not {osp.basename(str(v)) for v in dataset.values()} & {osp.basename(u) for u in used}
    if 'ann_file' in cfg.get('val_evaluator', {}):
        assert 'ann_file' in evaluator or 'subset' in evaluator


def test_low_data_lines_by_hand():
    assert splits.low_data_lines(list('abcdefghij'), 0.1, seed=3) == splits.low_data_lines(
        list('abcdefghij'), 0.1, seed=3
    )
    assert len(splits.low_data_lines(['x'], 0.1)) == 1
    assert len(splits.low_data_lines(list('abcdefghijklmnopqrst'), 0.1)) == 2

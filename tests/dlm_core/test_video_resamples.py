"""Bootstrap resamples of test videos: the same for every run on the same videos."""

import json

import numpy as np
import pytest

from dlm_core.evaluation import copy_name, sorted_videos, video_resamples, write_video_replicates


def test_resamples_depend_on_the_sorted_unique_videos_only():
    first = video_resamples(['b', 'a', 'c', 'a'], 50)
    again = video_resamples(('c', 'b', 'a'), 50)  # another run, another order
    assert len(first) == 50 and all(d.shape == (3,) for d in first)
    assert all((x == y).all() for x, y in zip(first, again))
    assert all(d.min() >= 0 and d.max() < 3 for d in first)
    assert any(len(set(d)) < 3 for d in first)  # with replacement
    other = video_resamples(['a', 'b', 'c'], 50, seed=1)
    assert any((x != y).any() for x, y in zip(first, other))
    assert sorted_videos([10, 2, '2']) == ['10', '2']


def test_copies_keep_the_first_id():
    assert [copy_name('v', k) for k in range(3)] == ['v', 'v#2', 'v#3']


def test_the_replicates_file_holds_the_metric_of_each_resample(tmp_path):
    # the metric: the sum of the drawn videos' weights, each counted as often as drawn
    weights = {'a': 1.0, 'b': 10.0, 'c': 100.0}
    ids = sorted_videos(weights)
    path = tmp_path / 'sub' / 'replicates.json'
    written = write_video_replicates(
        str(path), ['c', 'a', 'b'], lambda counts: counts @ [weights[v] for v in ids], 5, seed=3
    )
    table = json.loads(path.read_text())
    assert table == written
    assert table['videos'] == ['a', 'b', 'c'] and table['replicates'] == 5 and table['seed'] == 3
    assert table['value'] == 111.0
    expected = [sum(weights[ids[i]] for i in draw) for draw in video_resamples(ids, 5, seed=3)]
    assert table['values'] == pytest.approx(expected)


def test_no_videos_is_an_error():
    with pytest.raises(ValueError, match='no videos'):
        video_resamples([], 3)
    assert isinstance(video_resamples(['a'], 0), list)
    assert np.array_equal(video_resamples(['a'], 1)[0], [0])


def test_copy_order_lists_every_drawn_item_then_the_second_copies():
    from dlm_core.evaluation import copy_order

    assert copy_order([2, 0, 1, 3]) == [(0, 0), (0, 2), (0, 3), (1, 0), (1, 3), (2, 3)]
    assert copy_order([]) == []


def test_accumulate_copies_pools_the_copies_and_restores_the_evaluator():
    from types import SimpleNamespace

    from dlm_core.evaluation import accumulate_copies

    class Evaluator:  # evalImgs laid out as COCOeval's: (class, area range, item)
        def __init__(self):
            self.params = SimpleNamespace(imgIds=[3, 7], catIds=[1, 2], areaRng=[[0, 1]])
            self._paramsEval = SimpleNamespace(imgIds=[3, 7], catIds=[1, 2], areaRng=[[0, 1]])
            self.evalImgs = ['c1/3', 'c1/7', 'c2/3', 'c2/7']

        def accumulate(self):
            self.eval = dict(items=list(self.evalImgs), ids=list(self.params.imgIds))

    evaluator = Evaluator()
    result = accumulate_copies(evaluator, 'imgIds', [(0, 0), (0, 1), (1, 1)])  # 7 twice
    assert result['items'] == ['c1/3', 'c1/7', 'c1/7', 'c2/3', 'c2/7', 'c2/7']
    assert result['ids'] == [3, 7, 7 + 8]  # copy 1 of item 7 under a new id
    assert evaluator.evalImgs == ['c1/3', 'c1/7', 'c2/3', 'c2/7']
    assert evaluator.params.imgIds == evaluator._paramsEval.imgIds == [3, 7]

"""The results file: one JSON document, one record per line, read back as written."""

from __future__ import annotations

import json

from dlm_bench import records


def _record(seed: int, **extra) -> dict:
    record = {field: None for field in records.FIELDS}
    record.update(method='dlm', primary='ssv2', seed=seed, split='test', value=61.25 + seed)
    record.update(extra)
    return record


def test_the_results_file_round_trips_with_one_record_per_line(tmp_path):
    path = str(tmp_path / 'results.json')
    written = [
        _record(0, videos=['v0', 'v1'], per_video=[0.5, 1.0], curve=[[10, 0.2], [20, 0.4]]),
        _record(1, infer_mode='static'),
        _record(2, value=float('nan')),
    ]
    meta = {'scope': {'primaries': ['ssv2'], 'prompt_seeds': [0, 1]}, 'command': 'x'}
    records.write(written, path, meta)

    found, found_meta = records.read(path)
    assert found_meta == meta
    assert [r['seed'] for r in found] == [0, 1, 2]
    assert found[0]['per_video'] == [0.5, 1.0] and found[0]['curve'] == [[10, 0.2], [20, 0.4]]
    assert found[1]['infer_mode'] == 'static'
    assert found[2]['value'] != found[2]['value']  # NaN stays NaN
    with open(path) as handle:
        lines = handle.read().splitlines()
    record_lines = [line for line in lines if line.startswith('{"method"')]
    assert len(record_lines) == 3
    assert json.loads(record_lines[1].rstrip(','))['seed'] == 1
    assert lines[-1] == ']}'


def test_an_empty_results_file_is_still_valid_json(tmp_path):
    path = str(tmp_path / 'results.json')
    records.write([], path)
    assert records.read(path) == ([], {})


def test_measured_values_keep_seven_significant_digits(tmp_path):
    import numpy as np

    path = str(tmp_path / 'results.json')
    record = _record(0, value=43.30468842497793, per_video=[np.float32(0.1), 1], replicate_seed=3)
    records.write([record], path)
    (found,), _ = records.read(path)
    assert found['value'] == 43.30469 and found['per_video'] == [0.1, 1]
    assert found['replicate_seed'] == 3 and isinstance(found['per_video'][1], int)
    assert records.rounded({'a': (1e-9 / 3, True)}) == {'a': [3.333333e-10, True]}


def test_each_list_of_test_videos_is_written_once(tmp_path):
    import pytest

    path = str(tmp_path / 'results.json')
    split_a, split_b = [f'video_{i:03d}' for i in range(40)], ['other_0', 'other_1']
    written = [
        _record(0, videos=split_a, per_video=[1.0] * 40),
        _record(1, videos=list(split_a), per_video=[0.5] * 40),
        _record(2, videos=split_b, per_video=[0.0, 1.0]),
        _record(3),  # no per-video form
    ]
    records.write(written, path)
    with open(path) as handle:
        text = handle.read()
    assert text.count('video_039') == 1 and text.count('other_1') == 1
    found, _ = records.read(path)
    assert [r.get('videos') for r in found] == [split_a, split_a, split_b, None]
    assert found == records.rounded(written)
    # a record naming a list the file does not hold is an error, never another split's
    data = json.loads(text)
    data['videos'] = data['videos'][:1]
    with open(path, 'w') as handle:
        json.dump(data, handle)
    with pytest.raises(ValueError, match='record 2 names video list 1; the file holds 1'):
        records.read(path)

"""A part records what its numbers rest on (machine, libraries, code, bench data), and the
page says where two parts of one primary differ in them."""

import re

import torch
from dlm_bench import merge, provenance, report
from dlm_bench.catalog import REPO


def write_set(root, files: dict):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text)
    return str(root)


def test_the_data_digest_follows_every_byte_and_name(tmp_path):
    files = {'train.json': b'{"videos": [1, 2]}', 'train/JPEGImages/v1/00000.jpg': b'\xff\xd8ab'}
    digest = provenance.data_digest(write_set(tmp_path / 'a', files))
    assert re.fullmatch(r'[0-9a-f]{16}', digest)
    # the same files elsewhere: the same digest
    assert provenance.data_digest(write_set(tmp_path / 'b', files)) == digest
    changed = dict(files, **{'train/JPEGImages/v1/00000.jpg': b'\xff\xd8ac'})
    assert provenance.data_digest(write_set(tmp_path / 'c', changed)) != digest
    renamed = {'train.json': files['train.json'], 'train/JPEGImages/v2/00000.jpg': b'\xff\xd8ab'}
    assert provenance.data_digest(write_set(tmp_path / 'd', renamed)) != digest
    assert provenance.data_digest(str(tmp_path / 'missing')) is None


def test_the_machine_names_the_libraries_and_the_code():
    found = provenance.machine(REPO)
    assert found['cores'] >= 1 and found['cpu']
    assert found['libraries']['torch'] == torch.__version__
    assert {'mmengine', 'mmcv', 'numpy'} <= set(found['libraries'])
    assert re.fullmatch(r'[0-9a-f]{12}\+?', found['code'])
    assert provenance.code_commit('/') is None  # no checkout: no commit, no error


def part(pid, primaries, data=None, torch_version='2.13.0'):
    found = dict(
        id=pid,
        command=f'python tools/reproduce.py --primaries {" ".join(primaries)}',
        primaries=list(primaries),
        machine=dict(cpu='cpu', cores=2, libraries={'torch': torch_version, 'numpy': '1.26.4'}),
    )
    if data is not None:
        found['data'] = data
    return found


def test_differences_compare_what_the_parts_of_one_primary_recorded():
    same = [
        part('a', ['youtube_vis'], {'youtube_vis': 'aaaa'}),
        part('b', ['youtube_vis', 'ssv2'], {'youtube_vis': 'aaaa', 'ssv2': 'cccc'}),
    ]
    assert provenance.differences(same, 'youtube_vis') == []
    other = [
        part('a', ['youtube_vis'], {'youtube_vis': 'aaaa'}, torch_version='2.9.1'),
        part('b', ['youtube_vis'], {'youtube_vis': 'bbbb'}),
        part('c', ['ssv2'], {'ssv2': 'dddd'}, torch_version='2.1.0'),  # another primary
    ]
    assert provenance.differences(other, 'youtube_vis') == [
        'bench data (aaaa, bbbb)',
        'libraries (torch 2.13.0 / 2.9.1)',
    ]
    # a part from before these fields: nothing to compare, nothing claimed
    old = [dict(part('a', ['youtube_vis']), machine=dict(cpu='cpu', cores=2))]
    assert provenance.differences(old + [part('b', ['youtube_vis'], {'youtube_vis': 'b'})],
                                  'youtube_vis') == []  # fmt: skip


def test_the_page_names_each_parts_code_and_data_and_where_two_parts_differ():
    parts = [
        part('a', ['youtube_vis'], {'youtube_vis': 'aaaa'}),
        part('b', ['youtube_vis'], {'youtube_vis': 'bbbb'}),
    ]
    parts[1]['machine']['code'] = '0123456789ab'
    lines = report.provenance_lines(dict(parts=parts), [])
    command = '`python tools/reproduce.py --primaries youtube_vis`'
    assert (f'- Command for YouTube-VIS 2019: {command} on cpu, 2 cores, code 0123456789ab, '
            'bench data youtube_vis bbbb') in lines  # fmt: skip
    assert ('- YouTube-VIS 2019: its parts ran with different bench data (aaaa, bbbb); each '
            'section compares runs of one part only') in lines  # fmt: skip
    parts[1]['data'] = {'youtube_vis': 'aaaa'}
    assert not any('its parts ran with' in line for line in report.provenance_lines(
        dict(parts=parts), []))  # fmt: skip


def test_a_part_keeps_the_data_of_its_own_primaries():
    meta = dict(
        command='python tools/reproduce.py --primaries ssv2',
        scope=dict(primaries=['ssv2']),
        data={'ssv2': 'aaaa', 'ava': 'bbbb'},
    )
    (only,) = merge.parts_of(meta)
    assert only['data'] == {'ssv2': 'aaaa'}
    assert 'data' not in merge.parts_of(dict(meta, data={}))[0]  # parts from before: none

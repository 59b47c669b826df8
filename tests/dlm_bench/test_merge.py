"""dlm_bench.merge: the protocol run in parts, one results file (tools/reproduce.py --merge)."""

from __future__ import annotations

import dataclasses
import json
import os.path as osp

from dlm_bench import cli, records, report
from dlm_bench.merge import dropped, merge
from dlm_bench.protocol import FULL

from tests.helpers.bench_runs import Recorder, annotated_repo


def record(name: str, value: float, split: str = 'test') -> dict:
    method, primary = name.split('/')[:2]
    primary = 'foundation' if method == 'foundation' else primary
    return dict(name=name, method=method, primary=primary, seed=0, split=split, value=value)


def earlier_part() -> tuple:
    found = [
        record('foundation/seed0', 40.0, 'val'),
        record('full/ssv2/seed0', 85.0),
        record('dlm/ssv2/seed0', 83.0),
        record('full/thumos14/seed0', 75.0),
    ]
    meta = dict(
        command='python tools/reproduce.py --primaries ssv2 thumos14',
        scope=dict(
            primaries=['ssv2', 'thumos14'],
            methods=['full', 'dlm'],
            prompt_seeds=[0, 1, 2],
            other_seeds=[0, 1, 2],
            missing=dict(parts=['zero_shot', 'controls', 'low_data']),
        ),
        machine=dict(cpu='old', cores=2),
        validation={'carved': ['ssv2', 'thumos14']},
        notes=[
            'an earlier note',
            'thumos14: no low-data runs (no subset writer for its format)',
            'hps on ssv2: no config configs/baselines/hps/ssv2.py',
        ],
        pending=['vpt_middle/ssv2: learning rate (grid on validation)'],
        unfinished=['dlm/thumos14/lr1e-3/seed1'],
        failed=[],
    )
    return found, meta


def this_part(primaries=('thumos14', 'ava')):
    preset = dataclasses.replace(
        FULL, primaries=primaries, methods=('full',), prompt_seeds=(0,), other_seeds=(0,)
    )
    found = [record('foundation/seed0', 41.0, 'val')]
    found += [record(f'full/{p}/seed0', 50.0) for p in primaries]
    meta = dict(
        command='python tools/reproduce.py --primaries ' + ' '.join(primaries),
        scope=dict(primaries=list(primaries), methods=['full'], prompt_seeds=[0], other_seeds=[0]),
        machine=dict(cpu='new', cores=2),
        validation={'carved': list(primaries)},
        notes=['a note of this part'],
        pending=[],
        unfinished=[],
        failed=[],
    )
    return found, meta, preset


def test_a_part_supersedes_its_own_primaries_and_keeps_the_others():
    found, meta, preset = this_part()
    merged, merged_meta = merge(earlier_part(), found, meta, preset)
    values = {(r['name'], r['value']) for r in merged}
    # SSv2 from the earlier part; THUMOS14 only from this one (never one primary from two
    # invocations: runs pair by seed); the foundation run that this part ran again, once
    assert values == {
        ('full/ssv2/seed0', 85.0),
        ('dlm/ssv2/seed0', 83.0),
        ('full/thumos14/seed0', 50.0),
        ('full/ava/seed0', 50.0),
        ('foundation/seed0', 41.0),
    }
    parts = merged_meta['parts']
    assert [p['primaries'] for p in parts] == [['ssv2'], ['thumos14', 'ava']]
    assert parts[0]['command'].endswith('ssv2 thumos14') and parts[0]['machine']['cpu'] == 'old'
    assert merged_meta['scope']['primaries'] == ['ssv2', 'ava', 'thumos14']
    assert merged_meta['scope']['methods'] == ['full', 'dlm']
    assert merged_meta['scope']['missing']['primaries'] == [
        '50salads',
        'imagenet_vid',
        'youtube_vis',
    ]
    assert merged_meta['validation'] == {'carved': ['ssv2', 'thumos14', 'ava']}
    assert merged_meta['pending'] == ['vpt_middle/ssv2: learning rate (grid on validation)']
    assert merged_meta['unfinished'] == []  # the old THUMOS14 run is superseded
    # the earlier part's note on THUMOS14 went with its THUMOS14 runs; SSv2's stays
    assert merged_meta['notes'] == [
        'an earlier note',
        'hps on ssv2: no config configs/baselines/hps/ssv2.py',
        'a note of this part',
    ]
    assert merged_meta['scope']['prompt_seeds'] == [0, 1, 2]


def test_an_earlier_primary_keeps_its_runs_that_this_part_ran_as_auxiliaries():
    # a DLM part on AVA trains the seed-0 single-task models of the other tasks as its
    # auxiliaries (validated only): SSv2's seed-0 full fine-tuning stays the earlier part's,
    # test record included, so SSv2's comparisons never pair runs of two invocations
    found, meta, preset = this_part(('ava',))
    found.append(record('full/ssv2/seed0', 90.0, 'val'))
    merged, _ = merge(earlier_part(), found, meta, preset)
    ssv2 = sorted((r['name'], r['split'], r['value']) for r in merged if r['primary'] == 'ssv2')
    assert ssv2 == [('dlm/ssv2/seed0', 'test', 83.0), ('full/ssv2/seed0', 'test', 85.0)]


def test_the_scope_is_what_the_parts_left_in_the_file_ran():
    found, meta, preset = this_part(('thumos14',))
    once = merge(earlier_part(), found, meta, preset)
    assert once[1]['scope']['methods'] == ['full', 'dlm']  # SSv2's part ran DLM
    found, meta, preset = this_part(('ssv2',))
    _, merged_meta = merge(once, found, meta, preset)
    # the part that ran DLM on seeds 0-2 is superseded whole: nothing on the page ran them
    assert merged_meta['scope']['methods'] == ['full']
    assert merged_meta['scope']['prompt_seeds'] == [0]
    assert 'dlm' in merged_meta['scope']['missing']['methods']


def test_a_part_that_covers_an_earlier_part_whole_drops_it():
    found, meta, preset = this_part()
    once = merge(earlier_part(), found, meta, preset)
    found, meta, preset = this_part(('ssv2',))
    merged, merged_meta = merge(once, found, meta, preset)
    assert [p['primaries'] for p in merged_meta['parts']] == [['thumos14', 'ava'], ['ssv2']]
    assert {r['primary'] for r in merged if r['method'] != 'foundation'} == {
        'ssv2',
        'thumos14',
        'ava',
    }
    assert [r['value'] for r in merged if r['primary'] == 'ssv2'] == [50.0]


def test_the_command_line_merges_only_when_asked(tmp_path):
    repo = annotated_repo(tmp_path)

    def tools(command):
        return 0 if command[0] == 'tools/data/make_demo_data.py' else Recorder()(command)

    argv = ['--quick', '--primaries', 'ssv2', '--methods', 'full', '--seeds', '0']
    root = str(tmp_path / 'runs')
    argv += ['--root', root]
    assert cli.main(argv, runner=tools, repo=repo) == 0
    results = osp.join(root, 'results.json')  # --quick's page lives beside its runs
    found, meta = records.read(results)
    # an earlier part that ran THUMOS14
    earlier = dict(found[-1], name='full/thumos14/seed0', primary='thumos14', value=75.0)
    old_meta = dict(meta, command='python tools/reproduce.py --primaries thumos14')
    old_meta['scope'] = dict(meta['scope'], primaries=['thumos14'])
    records.write([earlier], results, old_meta)
    assert cli.main(argv + ['--report-only', '--merge'], runner=tools, repo=repo) == 0
    merged, merged_meta = records.read(results)
    assert {r['primary'] for r in merged} == {'ssv2', 'thumos14'}
    assert merged_meta['scope']['primaries'] == ['ssv2', 'thumos14']
    with open(osp.join(root, 'results.md')) as handle:
        page = handle.read()
    assert '- Command for THUMOS14: `python tools/reproduce.py --primaries thumos14`' in page
    # the part's command as one would type it: no scratch root, no rendering flags
    assert ('- Command for SSv2: `python tools/reproduce.py --quick --primaries ssv2 --methods '
            'full --seeds 0` on ') in page  # fmt: skip
    assert 'This page holds primaries SSv2, THUMOS14;' in page
    # a part with no run here would erase THUMOS14's records: refused, the file untouched
    with open(results) as handle:
        before = handle.read()
    refused = argv[:2] + ['thumos14'] + argv[3:] + ['--report-only', '--merge']
    assert cli.main(refused, runner=tools, repo=repo) == 2
    with open(results) as handle:
        assert handle.read() == before
    # the file holds SSv2's DLM, which this part has not: merging is refused, the erased
    # rows named; --drop lets it erase them
    found, meta = records.read(results)
    ssv2_full = next(r for r in found if r['primary'] == 'ssv2' and r['split'] == 'test')
    records.write(found + [dict(ssv2_full, name='dlm/ssv2/seed0', method='dlm')], results, meta)
    with open(results) as handle:
        before = handle.read()
    assert cli.main(argv + ['--report-only', '--merge'], runner=tools, repo=repo) == 2
    with open(results) as handle:
        assert handle.read() == before
    assert cli.main(argv + ['--report-only', '--merge', '--drop'], runner=tools, repo=repo) == 0
    merged, merged_meta = records.read(results)
    assert 'dlm' not in {r['method'] for r in merged}
    assert '--drop' not in merged_meta['parts'][-1]['command']  # a rendering flag
    # without --merge the file holds this invocation alone
    assert cli.main(argv + ['--report-only'], runner=tools, repo=repo) == 0
    with open(results) as handle:
        assert {r['primary'] for r in json.load(handle)['records']} == {'ssv2'}


def test_what_a_part_would_erase_is_named_by_primary():
    earlier = earlier_part()[0] + [
        dict(record('dlm_only_ava/ssv2/seed0', 80.0)),
        dict(record('full/ssv2/seed0', 60.0), regime='low_data'),
        record('dlm_random_aux/ssv2/seed0', 70.0, 'val'),  # validated only: no row
    ]
    found = [record('full/ssv2/seed0', 86.0), record('dlm/ssv2/seed0', 84.0)]
    found.append(record('full/thumos14/seed0', 50.0))
    assert dropped(earlier, found, ('ssv2', 'thumos14')) == {
        'ssv2': ['dlm_only_ava', 'full (low_data)']
    }
    assert dropped(earlier, found, ('thumos14',)) == {}


def test_a_merged_page_says_what_each_part_ran():
    """The scope line is the parts' union (here prompt seeds 0-2 from the earlier part),
    which no one part ran: each part's own methods, seeds and left-out parts follow it."""
    found, meta, preset = this_part()
    _, merged_meta = merge(earlier_part(), found, meta, preset)
    lines = report.scope_lines(merged_meta)
    assert lines[2] == 'By part (`--merge`):'
    assert lines[4] == (
        '- SSv2: methods Full fine-tuning, DLM-VMTL; prompt seeds 0, 1, 2, other seeds 0, 1, 2; '
        'without zero-shot, controls, low-data'
    )
    assert lines[5].startswith('- THUMOS14, AVA: methods Full fine-tuning; prompt seeds 0, ')


def test_a_merged_page_whose_union_is_complete_still_says_each_part_ran_less():
    """One part ran every method and seed, another fewer: the union misses nothing, yet
    the page must not read as the full protocol on every primary."""
    full_scope = {'methods': ['full', 'dlm'], 'prompt_seeds': [0], 'other_seeds': [0],
                  'missing': {'primaries': ['ssv2']}}  # fmt: skip
    less = {'methods': ['full'], 'prompt_seeds': [0], 'other_seeds': [0],
            'missing': {'primaries': ['thumos14'], 'methods': ['dlm']}}  # fmt: skip
    meta = dict(
        scope={
            'primaries': ['ssv2', 'thumos14'],
            'methods': ['full', 'dlm'],
            'prompt_seeds': [0],
            'other_seeds': [0],
            'missing': {},
        },  # fmt: skip
        parts=[
            dict(primaries=['thumos14'], scope=full_scope),
            dict(primaries=['ssv2'], scope=less),
        ],  # fmt: skip
    )
    lines = report.scope_lines(meta)
    assert lines[0].startswith('**Scope: the full protocol in parts, not all of it on every')
    assert lines[2] == 'By part (`--merge`):'
    assert lines[5] == '- SSv2: methods Full fine-tuning; prompt seeds 0, other seeds 0'
    # every part ran all of it: nothing to say
    meta['parts'][1]['scope'] = dict(full_scope, missing={'primaries': ['thumos14']})
    assert report.scope_lines(meta) == []

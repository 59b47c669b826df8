"""dlm_bench.merge: the protocol run in parts, one results file (tools/reproduce.py --merge)."""

from __future__ import annotations

import dataclasses
import json
import os.path as osp

import pytest
from dlm_bench import cli, records, report, stats
from dlm_bench.merge import dropped, merge
from dlm_bench.protocol import FULL
from dlm_bench.sections import SECTIONS, held_by, view

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
    # --quick holds Table 1 alone: leaving it out leaves the part nothing to hold
    assert cli.main(argv + ['--leave-out', 'table1'], runner=tools, repo=repo) == 2
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
    every = list(SECTIONS)
    assert dropped(earlier, found, {'ssv2': every, 'thumos14': every}) == {
        'ssv2': ['dlm_only_ava', 'full (low_data)']
    }
    assert dropped(earlier, found, {'thumos14': every}) == {}
    # a part that holds only Table 1 of SSv2 takes nothing else off the page
    assert dropped(earlier, found, {'ssv2': ['table1']}) == {}


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


def _run(name: str, value: float, seed: int = 0, **extra) -> dict:
    return dict(record(name, value), seed=seed, trainable_percent=None, train_head=True, **extra)


def test_a_part_that_leaves_sections_out_keeps_the_earlier_parts_for_them():
    """The protocol in session-sized parts: a later part holds Table 1 and the variants
    of SSv2 (with every baseline); the earlier part keeps SSv2's controls, with the runs
    they pair with; each section of the page reads one part, never a mix."""
    earlier = [
        _run('full/ssv2/seed0', 85.0),
        _run('vpt_middle/ssv2/seed0', 81.0),
        _run('dlm/ssv2/seed0', 83.0, infer_mode='dynamic'),
        _run('dlm_random_aux/ssv2/seed0', 82.0, infer_mode='dynamic'),
        _run('full/thumos14/seed0', 75.0),
    ]
    old_meta = dict(earlier_part()[1], unfinished=[])
    preset = dataclasses.replace(FULL, primaries=('ssv2',), controls=False, low_data=False)
    assert held_by(preset, ['zero_shot']) == ['table1', 'variants']
    found = [
        _run('full/ssv2/seed0', 86.0),
        _run('vpt_middle/ssv2/seed0', 80.0),
        _run('vpt_shallow/ssv2/seed0', 70.0),
        _run('dlm/ssv2/seed0', 84.0, infer_mode='dynamic'),
    ]
    meta = dict(this_part(('ssv2',))[1], id='later', held={'ssv2': ['table1', 'variants']})
    merged, merged_meta = merge((earlier, old_meta), found, meta, preset)
    parts = merged_meta['parts']
    assert [(p['id'], p['held']) for p in parts] == [
        ('part0', {'ssv2': ['zero_shot', 'controls', 'low_data'], 'thumos14': list(SECTIONS)}),
        ('later', {'ssv2': ['table1', 'variants']}),
    ]
    assert 'held' not in merged_meta
    ssv2 = sorted((r['name'], r['part'], r['value']) for r in merged if r['primary'] == 'ssv2')
    assert len(ssv2) == 8  # both parts' SSv2 runs, each tagged with its part
    table1 = {r['name']: r['value'] for r in view(merged, merged_meta, 'table1')}
    assert table1['full/ssv2/seed0'] == 86.0 and 'vpt_shallow/ssv2/seed0' in table1
    assert 'dlm_random_aux/ssv2/seed0' not in table1
    controls = {r['name']: r['value'] for r in view(merged, merged_meta, 'controls')}
    assert controls['dlm/ssv2/seed0'] == 83.0 and controls['vpt_middle/ssv2/seed0'] == 81.0
    assert controls['full/thumos14/seed0'] == 75.0
    # the whole file mixes two runs of one name: a comparison on it is refused
    with pytest.raises(ValueError, match='two records of seed 0'):
        stats.compare(merged, 'ssv2', {'method': 'full'}, {'method': 'vpt_middle'})
    with pytest.raises(ValueError, match='two records of seed 0'):
        stats.mean_interval(merged, {'primary': 'ssv2', 'method': 'full'})
    # the page reads each section from its holder: no selection of it mixes the two parts
    page = report.render(merged, merged_meta, None, {}, None, {})
    assert '| VPT-shallow | 70.00 |' in page
    assert '; of SSv2 the page reads from it only Table 1, variants' in page
    assert '; of SSv2 the page reads from it only zero-shot, controls, low-data' in page
    assert 'over 9 runs' in page  # both parts' runs of one name counted
    # a part that holds nothing of SSv2's controls takes nothing of them off the page
    assert dropped(earlier, found, meta['held']) == {}
    # a later part holding every section of SSv2 supersedes both
    again = [_run('full/ssv2/seed0', 87.0)]
    _, again_meta, _ = this_part(('ssv2',))
    final, final_meta = merge((merged, merged_meta), again, again_meta, this_part(('ssv2',))[2])
    assert [p['held'] for p in final_meta['parts']] == [
        {'thumos14': list(SECTIONS)},
        {'ssv2': list(SECTIONS)},
    ]
    assert sorted(r['value'] for r in final if r['primary'] == 'ssv2') == [87.0]


def test_leave_out_plans_no_runs_of_a_section_and_the_part_does_not_hold_it():
    args = cli.parse_args(['--primaries', 'ssv2', '--leave-out', 'controls', 'low_data'])
    preset = cli.preset_of(args)
    assert preset.controls is False and preset.low_data is False and preset.variants is True
    assert held_by(preset, args.leave_out) == ['table1', 'variants', 'zero_shot']
    # Table 1's runs are planned whatever is left out; the part just does not hold them
    args = cli.parse_args(['--primaries', 'ssv2', '--leave-out', 'table1'])
    assert cli.preset_of(args).methods == FULL.methods
    assert held_by(cli.preset_of(args), args.leave_out) == [
        'variants',
        'zero_shot',
        'controls',
        'low_data',
    ]


def test_an_earlier_parts_waiting_runs_go_with_the_sections_this_part_holds():
    """An earlier part keeps the sections of a primary that this part leaves out, and with
    them its unfinished runs of those sections; its unfinished and waiting runs of the
    sections this part holds are this part's now (it ran or planned them itself)."""
    old_meta = dict(
        earlier_part()[1],
        pending=['vpt_middle/ssv2: learning rate (grid on validation)'],
        unfinished=[
            'full/ssv2/seed1',
            'vpt_shallow/ssv2/lr3e-4/seed1',
            'dlm_only_ava/ssv2/lr1e-3/seed0',
            'full/ssv2/low_data/seed0',
            'dlm/thumos14/lr1e-3/seed1',
        ],
        failed=['dlm_random_aux/ssv2/lr1e-3/seed2'],
    )
    sections = dict(variants=False, zero_shot=False, controls=False, low_data=False)
    preset = dataclasses.replace(FULL, primaries=('ssv2',), **sections)
    meta = dict(
        this_part(('ssv2',))[1],
        id='later',
        held={'ssv2': ['table1']},
        unfinished=['dlm/ssv2/lr1e-3/seed4'],
    )
    _, merged_meta = merge(([], old_meta), [_run('full/ssv2/seed0', 86.0)], meta, preset)
    assert merged_meta['pending'] == []
    assert merged_meta['unfinished'] == [
        'dlm_only_ava/ssv2/lr1e-3/seed0',
        'full/ssv2/low_data/seed0',
        'dlm/thumos14/lr1e-3/seed1',
        'dlm/ssv2/lr1e-3/seed4',
    ]
    assert merged_meta['failed'] == ['dlm_random_aux/ssv2/lr1e-3/seed2']

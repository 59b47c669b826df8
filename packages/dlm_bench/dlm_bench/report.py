"""``docs/results.md``: the paper's Tables 1-2, Fig. 3 and the knowledge analysis, rendered
from the records of ``docs/results.json`` only.

Every comparison sentence names its verdict (ahead / behind / tie) and its 95 % interval;
the numbers are what the records hold, whichever way they point.
"""

from __future__ import annotations

import os
import os.path as osp

from . import figures, provenance, stats
from .catalog import (
    LABELS,
    METRICS,
    NAMES,
    PAPER_TABLE1,
    PAPER_TABLE2,
    PAPER_TRAINABLE,
    PRIMARIES,
    ZERO_SHOT,
)
from .sections import SECTIONS, part_held, view
from .variant_report import variant_lines

#: Table 1's rows: (label, record filter)
ROWS = (
    ('Full fine-tuning', dict(method='full')),
    ('VPT-shallow', dict(method='vpt_shallow')),
    ('HPS', dict(method='hps')),
    ('MVLPT', dict(method='mvlpt')),
    ('DLM-VMTL, static', dict(method='dlm', infer_mode='static')),
    ('DLM-VMTL, dynamic', dict(method='dlm', infer_mode='dynamic')),
    ('VPT-middle', dict(method='vpt_middle')),
    ('DLM without layer 2, static', dict(method='dlm_no_layer2', infer_mode='static')),
    ('DLM without layer 2, dynamic', dict(method='dlm_no_layer2', infer_mode='dynamic')),
    ('DLM-VMTL, frozen head, static', dict(method='dlm_frozen_head', infer_mode='static')),
    ('DLM-VMTL, frozen head, dynamic', dict(method='dlm_frozen_head', infer_mode='dynamic')),
)
BASELINES = ('full', 'vpt_middle', 'vpt_shallow', 'mvlpt', 'hps', 'dlm_no_layer2')
#: the inference mode of DLM runs in the knowledge analysis (the mapper actually runs)
ANALYSIS_MODE = 'dynamic'


def final(records: list, regime: str = 'full') -> list:
    """The test records of finished runs of ``regime`` (no grid candidates)."""
    return [
        r
        for r in records
        if r['split'] == 'test' and r.get('regime', 'full') == regime and r.get('stage') != 'grid'
    ]


def cell(records: list, primary: str, where: dict) -> str:
    interval = stats.mean_interval(records, {'primary': primary, **where})
    if interval is None:
        return '–'
    mean, low, high = interval
    return f'{mean:.2f}' if low is None else f'{mean:.2f} [{low:.2f}, {high:.2f}]'


def _label(where: dict) -> str:
    name = LABELS.get(where['method'], where['method'])
    mode = where.get('infer_mode')
    return f'{name} ({mode})' if mode else name


def sentence(comparison: stats.Comparison | None, a: str, b: str, primary: str) -> str | None:
    if comparison is None:
        return None
    relation = {'ahead': 'ahead of', 'behind': 'behind', 'tie': 'tied with'}[comparison.verdict]
    return (
        f'On {NAMES[primary]}, {a} is {relation} {b}: {comparison.text()} points '
        f'(95 % interval, {comparison.basis}).'
    )


def table1(records: list, primaries: list) -> list:
    test = final(records)
    lines = [
        '## Table 1: primary tasks',
        '',
        'Cells: mean [95 % bootstrap interval] over test videos and seeds (seeds only where '
        'the metric has no per-video form); one value: one run.',
        '',
        '| Method | ' + ' | '.join(f'{NAMES[p]} ({METRICS[p].label})' for p in primaries) + ' |',
        '|---' * (len(primaries) + 1) + '|',
    ]
    for label, where in ROWS:
        cells = [cell(test, p, where) for p in primaries]
        if any(c != '–' for c in cells):
            lines.append(f'| {label} | ' + ' | '.join(cells) + ' |')
    lines += ['', 'Trainable % (of all backbones a run holds), train_head:', '']
    lines += ['| Method | ' + ' | '.join(NAMES[p] for p in primaries) + ' |']
    lines += ['|---' * (len(primaries) + 1) + '|']
    for label, where in ROWS:
        cells = []
        for p in primaries:
            chosen = stats._select(test, primary=p, **where)
            percents = {
                r['trainable_percent'] for r in chosen if r['trainable_percent'] is not None
            }
            heads = {r['train_head'] for r in chosen}
            text = f'{max(percents):.2f}' if percents else '–'
            cells.append(
                text + (f' (head {"trained" if True in heads else "frozen"})' if heads else '')
            )
        if any(c != '–' for c in cells):
            lines.append(f'| {label} | ' + ' | '.join(cells) + ' |')
    return lines + ['']


def comparisons(records: list, primaries: list) -> tuple:
    """Sentences "DLM vs each baseline" per primary, and ``{primary: Comparison}`` of
    DLM (static) against full fine-tuning (the interval width the page reports)."""
    test = final(records)
    lines, widths = ['## DLM-VMTL against each baseline', ''], {}
    for primary in primaries:
        for mode in ('static', 'dynamic'):
            a = dict(method='dlm', infer_mode=mode)
            for other in BASELINES:
                b = dict(method=other)
                if other == 'dlm_no_layer2':
                    b['infer_mode'] = mode
                found = stats.compare(test, primary, a, b, _label(a), _label(b))
                text = sentence(found, _label(a), _label(b), primary)
                if text:
                    lines.append(f'- {text}')
                if found is not None and other == 'full' and mode == 'static':
                    widths[primary] = found
    if len(lines) == 2:
        lines.append('No paired comparison yet (each needs two seeds or per-video scores).')
    lines += ['', '### Interval width per primary (DLM static − full fine-tuning)', '']
    lines += ['| Primary | difference [95 % interval] | width | basis |', '|---|---|---|---|']
    for primary in primaries:
        c = widths.get(primary)
        if c is not None:
            lines.append(f'| {NAMES[primary]} | {c.text()} | {c.width:.2f} | {c.basis} |')
    lines.append('')
    lines.append('The benchmark asks for a half-width of at most 2 points (width ≤ 4).')
    return lines + [''], widths


def table2(records: list) -> list:
    test = final(records)
    lines = [
        '## Table 2: zero-shot transfer',
        '',
        '| Held-out set (prompts of) | Original | DLM-VMTL prompts | prompts − original |',
        '|---|---|---|---|',
    ]
    for held_out, (_, primary) in ZERO_SHOT.items():
        original = cell(test, held_out, dict(method='zero_shot_original'))
        prompted = cell(test, held_out, dict(method='zero_shot_dlm'))
        c = stats.compare(
            test, held_out, dict(method='zero_shot_dlm'), dict(method='zero_shot_original')
        )
        diff = '–' if c is None else f'{c.text()} ({c.verdict})'
        if original != '–' or prompted != '–':
            lines.append(
                f'| {NAMES[held_out]} ({NAMES[primary]}) | {original} | {prompted} | {diff} |'
            )
    return lines + ['']


def single_task_lines(records: list, figure: str | None = None) -> list:
    lines = [
        '## The single-task models',
        '',
        *([f'![Single-task validation curves]({figure})', ''] if figure else []),
        '| Task | seeds | best validation | validation points | test |',
        '|---|---|---|---|---|',
    ]
    vals = [r for r in records if r['method'] == 'full' and r.get('regime', 'full') == 'full']
    for task in NAMES:
        val = [r for r in vals if r['primary'] == task and r['split'] == 'val']
        test = [r for r in vals if r['primary'] == task and r['split'] == 'test']
        if not val and not test:
            continue
        best = ', '.join(f'{r["value"]:.2f}' for r in val) or '–'
        points = ', '.join(str(len((r.get('curve') or {}).get('val', []))) for r in val) or '–'
        seeds = len({r['seed'] for r in val + test})
        lines.append(f'| {NAMES[task]} | {seeds} | {best} | {points} | {cell(test, task, {})} |')
    return lines + ['']


def fig3_lines(records: list, figure: str | None, shown: dict) -> list:
    lines = ['## Fig. 3: the second layer of DLM', '']
    if not figure:
        return lines + ['No DLM validation curves were recorded.', '']
    lines += [f'![Fig. 3]({figure})', '']
    for (primary, method), (points, seeds) in sorted(shown.items()):
        flag = '' if points >= 10 else ' (fewer than 10: validated at epoch ends only)'
        lines.append(f'- {NAMES[primary]}, {LABELS[method]}: {points} points{flag}, {seeds} seeds.')
    return lines + ['']


def knowledge_lines(
    records: list, primaries: list, heatmap: str | None, matrix: dict, low_records=None
) -> list:
    """The controls and the affinity map from ``records``, the low-data regime from
    ``low_records`` (the records of the part holding it; default ``records``)."""
    test = final(records)
    mode = dict(infer_mode=ANALYSIS_MODE)
    lines = ['## Where the knowledge comes from', '']
    lines += [
        f'DLM runs in this section are tested with {ANALYSIS_MODE} inference. '
        '"Knowledge": DLM − DLM with random auxiliaries; "capacity": DLM with random '
        'auxiliaries − VPT-middle.',
        '',
    ]
    for primary in primaries:
        for a, b in (
            (dict(method='dlm', **mode), dict(method='dlm_random_aux', **mode)),
            (dict(method='dlm_random_aux', **mode), dict(method='vpt_middle')),
        ):
            text = sentence(stats.compare(test, primary, a, b), _label(a), _label(b), primary)
            if text:
                lines.append(f'- {text}')
    lines += ['', '### Task affinity', '']
    if heatmap:
        lines += [
            f'![Task affinity]({heatmap})',
            '',
            'Cell: DLM with that auxiliary alone − VPT-middle (same number of prompts); '
            'hatched: the interval contains 0.',
            '',
        ]
        for (primary, aux), c in sorted(matrix.items()):
            lines.append(f'- {NAMES[primary]} ← {NAMES[aux]}: {c.text()} ({c.verdict}).')
    else:
        lines.append('No single-auxiliary runs yet.')
    lines += ['', '### Low-data regime (10 % of the training split)', '']
    low = final(records if low_records is None else low_records, 'low_data')
    if not low:
        return lines + ['No low-data runs yet.', '']
    methods = ('full', 'vpt_middle', 'dlm', 'dlm_random_aux')
    lines += ['| Method | ' + ' | '.join(NAMES[p] for p in primaries) + ' |']
    lines += ['|---' * (len(primaries) + 1) + '|']
    for method in methods:
        where = dict(method=method, **(mode if method.startswith('dlm') else {}))
        lines.append(
            f'| {_label(where)} | ' + ' | '.join(cell(low, p, where) for p in primaries) + ' |'
        )
    lines.append('')
    for primary in primaries:
        for other in ('full', 'vpt_middle', 'dlm_random_aux'):
            a, b = dict(method='dlm', **mode), dict(method=other)
            if other.startswith('dlm'):
                b.update(mode)
            text = sentence(stats.compare(low, primary, a, b), _label(a), _label(b), primary)
            if text:
                lines.append(f'- Low data: {text}')
    return lines + ['']


def affinity(records: list, primaries: list) -> dict:
    """``{(primary, auxiliary): Comparison}``: the single-auxiliary DLM run − VPT-middle."""
    test = final(records)
    matrix = {}
    for primary in primaries:
        for aux in NAMES:
            a = dict(method=f'dlm_only_{aux}', infer_mode=ANALYSIS_MODE)
            found = stats.compare(test, primary, a, dict(method='vpt_middle'))
            if found is not None:
                matrix[(primary, aux)] = found
    return matrix


def scope_lines(meta: dict) -> list:
    """What part of the full protocol the page covers (nothing when all of it)."""
    scope = meta.get('scope') or {}
    missing = scope.get('missing') or {}
    parts = [p for p in meta.get('parts') or [] if p.get('scope')]
    # a part left out methods, seeds or parts that another part ran: the union misses
    # nothing, yet not every primary ran it all
    uneven = any(set(p['scope'].get('missing') or {}) - {'primaries'} for p in parts)
    if not missing and not (uneven and len(parts) > 1):
        return []
    held = (
        f'primaries {", ".join(NAMES[p] for p in scope["primaries"])}; methods '
        f'{", ".join(LABELS[m] for m in scope["methods"])}; seeds '
        f'{", ".join(map(str, scope["prompt_seeds"]))} for the prompt methods and '
        f'{", ".join(map(str, scope["other_seeds"]))} for the others'
    )
    left = []
    if missing.get('primaries'):
        left.append('primaries ' + ', '.join(NAMES[p] for p in missing['primaries']))
    if missing.get('methods'):
        left.append('methods ' + ', '.join(LABELS[m] for m in missing['methods']))
    for key in ('prompt_seeds', 'other_seeds'):
        if missing.get(key):
            left.append(f'{key.replace("_", " ")} ' + ', '.join(map(str, missing[key])))
    if missing.get('parts'):
        left.append('parts ' + ', '.join(p.replace('_', '-') for p in missing['parts']))
    if left:
        summary = (
            f'**Scope: a subset of the full protocol.** This page holds {held}. '
            f'Not run here: {"; ".join(left)} (the full protocol is `make reproduce`).'
        )
    else:
        summary = (
            f'**Scope: the full protocol in parts, not all of it on every primary.** This '
            f'page holds {held}, but each part below ran only what it lists (the full '
            f'protocol on every primary is `make reproduce`).'
        )
    lines = [summary, '']
    if len(parts) > 1:  # the union above is no one part's: say what each part ran
        lines += ['By part (`--merge`):', '']
        lines += [f'- {part_scope(part)}' for part in parts]
        lines.append('')
    return lines


def part_scope(part: dict) -> str:
    """``50Salads: methods ...; prompt seeds 0, 1, 2, 3, 4, other seeds 0, 1, 2; without
    zero-shot`` for one part of a merged page."""
    scope = part['scope']
    text = (
        f'{", ".join(NAMES[p] for p in part["primaries"])}: methods '
        f'{", ".join(LABELS[m] for m in scope.get("methods", []))}; prompt seeds '
        f'{", ".join(map(str, scope.get("prompt_seeds", [])))}, other seeds '
        f'{", ".join(map(str, scope.get("other_seeds", [])))}'
    )
    without = (scope.get('missing') or {}).get('parts') or []
    if without:
        text += '; without ' + ', '.join(p.replace('_', '-') for p in without)
    names = {'table1': 'Table 1', 'zero_shot': 'zero-shot', 'low_data': 'low-data'}
    for primary, held in part_held(part).items():
        if set(held) != set(SECTIONS):  # the page reads the other sections from other parts
            sections = ', '.join(names.get(s, s) for s in SECTIONS if s in held)
            text += f'; of {NAMES[primary]} the page reads from it only {sections}'
    return text


def provenance_lines(meta: dict, records: list) -> list:
    lines = ['## How these numbers were made', '']
    parts = meta.get('parts') or []
    if len(parts) > 1:  # the protocol run in parts (tools/reproduce.py --merge)
        for part in parts:
            held = ', '.join(NAMES[p] for p in part['primaries'])
            command = f'`{part["command"]}`' if part.get('command') else '(not recorded)'
            machine = part.get('machine') or {}
            where = f' on {machine.get("cpu")}, {machine.get("cores")} cores' if machine else ''
            if machine.get('code'):
                where += f', code {machine["code"]}'
            data = part.get('data') or {}
            if data:
                where += ', bench data ' + ', '.join(f'{t} {d}' for t, d in sorted(data.items()))
            lines.append(f'- Command for {held}: {command}{where}')
        for primary in PRIMARIES:
            differ = provenance.differences(parts, primary)
            if differ:
                lines.append(
                    f'- {NAMES[primary]}: its parts ran with different {" and ".join(differ)}; '
                    'each section compares runs of one part only'
                )
    elif meta.get('command'):
        lines.append(f'- Command: `{meta["command"]}`')
    machine = meta.get('machine') or {}
    if machine and len(parts) <= 1:
        lines.append(f'- Machine: {machine.get("cpu")}, {machine.get("cores")} cores')
    runs = {(r['name'], r.get('part')): r.get('wall_s') or 0.0 for r in records}
    if runs:
        total = sum(runs.values())
        lines.append(f'- Time: {total / 3600:.2f} h of training and testing over {len(runs)} runs')
    for validation, tasks in sorted((meta.get('validation') or {}).items()):
        lines.append(f'- Validation split {validation}: {", ".join(NAMES[t] for t in tasks)}')
    lines += [f'- Not run: {note}' for note in meta.get('notes', [])]
    lines += [f'- Waiting: {item}' for item in meta.get('pending', [])]
    unfinished = meta.get('unfinished') or []
    if unfinished:
        groups: dict = {}
        for name in unfinished:
            groups.setdefault(name.split('/')[0], []).append(name)
        listed = '; '.join(f'{m} ({len(n)})' for m, n in groups.items())
        lines.append(
            f'- Planned but not finished when the page was written ({len(unfinished)} runs, '
            f'no record on this page): {listed}'
        )
    lines += [f'- Failed or skipped: {name}' for name in meta.get('failed', [])]
    return lines + ['']


def paper_lines() -> list:
    lines = ["## The paper's numbers (real datasets)", '']
    lines += ['| Method | ' + ' | '.join(NAMES[t] for t in PRIMARIES) + ' |']
    lines += ['|---' * (len(PRIMARIES) + 1) + '|']
    for method, values in PAPER_TABLE1.items():
        cells = ' | '.join('–' if v is None else str(v) for v in values)
        lines.append(f'| {LABELS[method]} ({PAPER_TRAINABLE[method]} %) | {cells} |')
    lines += ['', '| Zero-shot | ' + ' | '.join(NAMES[h] for h in ZERO_SHOT) + ' |']
    lines += ['|---' * (len(ZERO_SHOT) + 1) + '|']
    for row, values in PAPER_TABLE2.items():
        lines.append(f'| {row} | ' + ' | '.join(str(v) for v in values) + ' |')
    return lines


def render(
    records: list,
    meta: dict,
    fig3: str | None,
    shown: dict,
    heatmap,
    matrix,
    curves=None,
    source: str = 'docs/results.json',
) -> str:
    primaries = [p for p in PRIMARIES if any(r['primary'] == p for r in records)]
    lines = [
        "# The paper's Tables 1–2 and Fig. 3 on the demo benchmark",
        '',
        f'Generated by `tools/reproduce.py` (package `dlm_bench`) from `{source}`. '
        "Protocol: every run on its config's own schedule; checkpoint and learning rate "
        'chosen on a validation split carved from the training data (best validation '
        'metric); the test split read once per run; comparisons paired by seed and test '
        'video; "ahead" / "behind" only when the 95 % interval excludes 0, else "tie".',
        '',
    ]
    main, variants = view(records, meta, 'table1'), view(records, meta, 'variants')
    lines += scope_lines(meta)
    lines += table1(main, primaries)
    lines += comparisons(main, primaries)[0]
    lines += variant_lines(final(variants), variants, primaries, cell)
    lines += table2(view(records, meta, 'zero_shot'))
    lines += fig3_lines(main, fig3, shown)
    lines += single_task_lines(main, curves)
    lines += knowledge_lines(
        view(records, meta, 'controls'),
        primaries,
        heatmap,
        matrix,
        view(records, meta, 'low_data'),
    )
    lines += provenance_lines(meta, records)
    lines += paper_lines()
    return '\n'.join(lines) + '\n'


def write(
    records: list,
    meta: dict,
    markdown: str,
    fig3_png: str,
    heatmap_png: str,
    curves_png=None,
    source: str = 'docs/results.json',
) -> str:
    """Write the page and its figures (the single-task curves beside the page unless
    ``curves_png`` says where); ``source`` names the records file the page is made from.
    Returns the page's text."""
    folder = osp.dirname(osp.abspath(markdown))
    curves_png = curves_png or osp.join(folder, 'single_task_curves.png')
    main = view(records, meta, 'table1')
    shown = figures.plot_fig3(main, fig3_png)
    single = figures.plot_single_task_curves(main, curves_png)
    primaries = [p for p in PRIMARIES if any(r['primary'] == p for r in records)]
    matrix = affinity(view(records, meta, 'controls'), primaries)
    drawn = figures.plot_affinity(matrix, primaries, list(PRIMARIES), heatmap_png)
    text = render(
        records,
        meta,
        osp.relpath(fig3_png, folder) if shown else None,
        shown,
        osp.relpath(heatmap_png, folder) if drawn else None,
        matrix,
        osp.relpath(curves_png, folder) if single else None,
        source,
    )
    os.makedirs(folder, exist_ok=True)
    with open(markdown, 'w') as handle:
        handle.write(text)
    return text

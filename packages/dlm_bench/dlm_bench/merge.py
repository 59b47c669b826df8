"""One results file from several invocations (``tools/reproduce.py --merge``).

The full protocol outlasts a session and a machine, so it is run in parts, a few primaries
at a time. A part supersedes everything an earlier part held for the primaries it runs:
the comparisons pair runs by seed (the prompted run of seed k starts from the full
fine-tuning run of seed k), so one primary's runs must all come from one invocation. The
earlier part keeps its other primaries, and the page lists every part's command. A run
that every part repeats under the same name (the foundation run) shows this part's.
"""

from __future__ import annotations

import dataclasses
import shlex

from .catalog import METHODS, PRIMARIES
from .protocol import PARTS, scope
from .sections import SECTIONS, part_held, part_id, record_part, section_of

TOOL = 'python tools/reproduce.py'
#: options that say where the runs and the page live or how the page is rendered, not what
#: the runs are: the page's command leaves them out, so it reads as the one to type
RENDERING = {'--root': 1, '--report-only': 0, '--merge': 0, '--drop': 0, '--jobs': 1}


def reproducing_command(argv: list) -> str:
    """The command that makes these runs: ``argv`` less the rendering options (a part
    run in a scratch root and merged with ``--report-only --merge`` reads as the plain
    command of that part)."""
    kept, skip = [], 0
    for arg in argv:
        name = arg.split('=', 1)[0]
        if skip:
            skip -= 1
        elif name in RENDERING:
            skip = RENDERING[name] if '=' not in arg else 0
        else:
            kept.append(arg)
    return f'{TOOL} {shlex.join(kept)}'.rstrip()


def _primary_of(name: str) -> str | None:
    """The task a run name (``method/task/...``) or a pending item (``method/task: why``)
    is about (``foundation/seed0``: the foundation run)."""
    parts = name.split(':', 1)[0].split('/')
    if parts[0] == 'foundation':
        return 'foundation'
    return parts[1] if len(parts) > 1 else None


def _note_primary(note: str) -> str | None:
    """The task a plan note is about (``task: why`` or ``method on task: why``), None for
    a note about no one task."""
    head = note.split(':', 1)[0]
    task = head.rsplit(' on ', 1)[-1]
    return task if task in PRIMARIES else None


def _typed(command: str | None) -> str | None:
    """A part's recorded command as one would type it (parts recorded before the page
    left the rendering options out still carry them)."""
    if command and command.startswith(TOOL + ' '):
        return reproducing_command(shlex.split(command[len(TOOL) :]))
    return command


def _part(meta: dict, primaries) -> dict:
    part = dict(
        command=_typed(meta.get('command')),
        primaries=list(primaries),
        machine=meta.get('machine', {}),
        session_wall_s=meta.get('session_wall_s'),
        scope=meta.get('scope') or {},
    )
    if meta.get('id'):
        part['id'] = meta['id']
    data = {p: d for p, d in (meta.get('data') or {}).items() if p in primaries}
    if data:  # the bench data its runs read (dlm_bench.provenance); parts before: none
        part['data'] = data
    held = meta.get('held') or {}
    if all(p in held for p in primaries):  # else a file from before sections: all held
        part['held'] = {p: list(held[p]) for p in primaries}
    return part


def parts_of(meta: dict) -> list:
    """The invocations behind a results file: ``meta['parts']``, or the one it came from."""
    if meta.get('parts'):
        return [dict(p, command=_typed(p.get('command'))) for p in meta['parts']]
    held = (meta.get('scope') or {}).get('primaries', [])
    return [_part(meta, held)] if held else []


def merge(earlier: tuple, records: list, meta: dict, preset) -> tuple:
    """``(records, meta)`` of this invocation (``records``, ``meta``, run under ``preset``)
    with what ``earlier`` (``(records, meta)`` of the file it replaces) holds for the
    primaries and sections this invocation does not hold.

    Ownership is by primary and section (``dlm_bench.sections``): this invocation takes
    the sections it holds of its primaries (``meta['held']``; all of them unless a
    section was left out); an earlier part keeps the rest, with all its records of that
    primary (the partners its sections pair with), even where this invocation ran some of
    the same runs as auxiliaries (the seed-0 single-task models, validated only); a run no
    part holds as a primary (the foundation run, zero-shot targets) comes from this one.
    Every record of a primary is tagged with its part's id, and the page reads each
    section of each primary from its one holder.
    """
    old_records, old_meta = earlier
    held_now = meta.get('held') or {p: list(SECTIONS) for p in preset.primaries}
    ran = set(preset.primaries)
    old_all = parts_of(old_meta)
    ids = [part_id(part, index) for index, part in enumerate(old_all)]
    legacy = dict(parts=[dict(part, id=i) for part, i in zip(old_all, ids)])
    old_parts = []
    for part, pid in zip(old_all, ids):
        kept = {p: [s for s in secs if s not in held_now.get(p, ())]
                for p, secs in part_held(part).items()}  # fmt: skip
        kept = {p: secs for p, secs in kept.items() if secs}
        if kept:
            old_parts.append(dict(part, id=pid, held=kept, primaries=list(kept)))
    holds = {(p, part['id']) for part in old_parts for p in part['held']}
    owned = {p for p, _ in holds}
    names = {r['name'] for r in records}
    new_id = next(
        i
        for i in [meta.get('id')] + [f'part{n}' for n in range(len(ids) + 1)]
        if i and i not in ids
    )

    def from_old(primary, name, part=None) -> bool:
        if primary in owned:
            return part is None or (primary, part) in holds
        return primary not in ran and name not in names

    out = []
    for r in old_records:
        part = record_part(r, legacy)
        if from_old(r['primary'], r['name'], part):
            out.append(dict(r, part=part) if r['primary'] in PRIMARIES else r)
    out += [
        dict(r, part=new_id) if r['primary'] in PRIMARIES else r
        for r in records
        if r['primary'] in ran or r['primary'] not in owned
    ]
    this = dict(_part(meta, preset.primaries), id=new_id, held=held_now)
    parts = old_parts + [this]
    validation: dict = {}
    for source, wanted in ((old_meta, owned), (meta, ran)):
        for kind, tasks in (source.get('validation') or {}).items():
            chosen = validation.setdefault(kind, [])
            chosen += [t for t in tasks if t in wanted and t not in chosen]
    # an earlier part's note about a section this part now holds goes with that section
    old_notes = [n for n in old_meta.get('notes', []) if not _note_superseded(n, held_now)]
    merged = dict(
        meta,
        scope=scope(_union(preset, parts)),
        parts=parts,
        notes=list(dict.fromkeys(old_notes + list(meta.get('notes', [])))),
        validation={k: v for k, v in validation.items() if v},
    )
    merged.pop('held', None)
    for key in ('pending', 'unfinished', 'failed'):
        old = [
            n
            for n in old_meta.get(key, [])
            if from_old(_primary_of(n), n.split(':')[0]) and not _item_superseded(n, held_now)
        ]
        merged[key] = old + list(meta.get(key, []))
    return out, merged


def _item_superseded(item: str, held_now: dict) -> bool:
    """Whether an earlier part's pending, unfinished or failed run (``method/task/...``,
    or ``method/task: why``) belongs to a section of its task that this part holds: this
    part ran or planned that section itself."""
    name = item.split(':', 1)[0]
    parts = name.split('/')
    if len(parts) < 2:
        return False
    regime = 'low_data' if 'low_data' in parts[2:] else 'full'
    section = section_of({'method': parts[0], 'regime': regime})
    return section in held_now.get(_primary_of(name), ())


def _note_superseded(note: str, held_now: dict) -> bool:
    """Whether a plan note of an earlier part is about a section this part holds (a
    low-data note: the low-data section; any other: Table 1's)."""
    primary = _note_primary(note)
    section = 'low_data' if 'low-data' in note else 'table1'
    return primary is not None and section in held_now.get(primary, ())


def _kinds(records: list, primary: str, held=SECTIONS) -> set:
    """What a primary's test records of the sections ``held`` are of: ``method`` and, off
    the full data, ``regime``."""
    return {
        r['method'] + ('' if r.get('regime', 'full') == 'full' else f' ({r["regime"]})')
        for r in records
        if r['primary'] == primary and r.get('split') == 'test' and section_of(r) in held
    }


def dropped(earlier: list, records: list, held: dict) -> dict:
    """Per primary that this part runs (``held``: ``{primary: sections it holds}``), what
    the file's earlier records show in those sections and this part's do not: the methods
    (and regimes) that merging would take off the page, e.g. the attribution runs of a part
    that stopped before them."""
    lost = {p: sorted(_kinds(earlier, p, s) - _kinds(records, p, s)) for p, s in held.items()}
    return {p: kinds for p, kinds in lost.items() if kinds}


def _union(preset, parts: list):
    """The preset that covers what the parts left in the file ran, each by its own scope:
    their primaries, methods and seeds, and every part of the protocol one of them ran."""
    scopes = [p.get('scope') or {} for p in parts]
    methods = {m for s in scopes for m in s.get('methods', [])} | set(preset.methods)

    def seeds(key: str) -> tuple:
        return tuple(
            sorted({k for s in scopes for k in s.get(key, [])} | set(getattr(preset, key)))
        )

    ran = {
        part: getattr(preset, part)
        or any(part not in (s.get('missing') or {}).get('parts', []) for s in scopes if s)
        for part in PARTS
    }
    held = {t for p in parts for t in p['primaries']}
    return dataclasses.replace(
        preset,
        primaries=tuple(t for t in PRIMARIES if t in held),
        methods=tuple(m for m in METHODS if m in methods),
        prompt_seeds=seeds('prompt_seeds'),
        other_seeds=seeds('other_seeds'),
        **ran,
    )

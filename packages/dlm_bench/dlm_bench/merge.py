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
    return dict(
        command=_typed(meta.get('command')),
        primaries=list(primaries),
        machine=meta.get('machine', {}),
        session_wall_s=meta.get('session_wall_s'),
        scope=meta.get('scope') or {},
    )


def parts_of(meta: dict) -> list:
    """The invocations behind a results file: ``meta['parts']``, or the one it came from."""
    if meta.get('parts'):
        return [dict(p, command=_typed(p.get('command'))) for p in meta['parts']]
    held = (meta.get('scope') or {}).get('primaries', [])
    return [_part(meta, held)] if held else []


def merge(earlier: tuple, records: list, meta: dict, preset) -> tuple:
    """``(records, meta)`` of this invocation (``records``, ``meta``, run under ``preset``)
    with what ``earlier`` (``(records, meta)`` of the file it replaces) holds for the
    primaries this invocation does not run.

    Ownership is by primary: an earlier part's primaries keep all their records from that
    part, even where this invocation ran some of the same runs as auxiliaries (the seed-0
    single-task models, validated only); this invocation's primaries take all of theirs
    from it; a run no part holds as a primary (the foundation run) comes from this one.
    """
    old_records, old_meta = earlier
    ran = set(preset.primaries)
    old_parts = []
    for part in parts_of(old_meta):
        part['primaries'] = [p for p in part['primaries'] if p not in ran]
        if part['primaries']:
            old_parts.append(part)
    owned = set().union(*(p['primaries'] for p in old_parts))
    names = {r['name'] for r in records}

    def from_old(primary, name) -> bool:
        return primary in owned or (primary not in ran and name not in names)

    out = [r for r in old_records if from_old(r['primary'], r['name'])]
    out += [r for r in records if r['primary'] not in owned]
    parts = old_parts + [_part(meta, preset.primaries)]
    validation: dict = {}
    for source, wanted in ((old_meta, owned), (meta, ran)):
        for kind, tasks in (source.get('validation') or {}).items():
            chosen = validation.setdefault(kind, [])
            chosen += [t for t in tasks if t in wanted and t not in chosen]
    # an earlier part's note about a primary this part runs says what that part left out
    old_notes = [n for n in old_meta.get('notes', []) if _note_primary(n) not in ran]
    merged = dict(
        meta,
        scope=scope(_union(preset, parts)),
        parts=parts,
        notes=list(dict.fromkeys(old_notes + list(meta.get('notes', [])))),
        validation={k: v for k, v in validation.items() if v},
    )
    for key in ('pending', 'unfinished', 'failed'):
        old = [n for n in old_meta.get(key, []) if from_old(_primary_of(n), n.split(':')[0])]
        merged[key] = old + list(meta.get(key, []))
    return out, merged


def _kinds(records: list, primary: str) -> set:
    """What a primary's test records are of: ``method`` and, off the full data, ``regime``."""
    return {
        r['method'] + ('' if r.get('regime', 'full') == 'full' else f' ({r["regime"]})')
        for r in records
        if r['primary'] == primary and r.get('split') == 'test'
    }


def dropped(earlier: list, records: list, primaries) -> dict:
    """Per primary that this part runs, what the file's earlier records hold and this
    part's do not: the methods (and regimes) of test records that merging would erase,
    e.g. the attribution runs of a part that stopped before them."""
    lost = {p: sorted(_kinds(earlier, p) - _kinds(records, p)) for p in primaries}
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

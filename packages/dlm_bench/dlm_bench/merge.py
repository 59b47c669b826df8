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

from .catalog import METHODS, PRIMARIES
from .protocol import scope


def _primary_of(name: str) -> str | None:
    """The task a run name (``method/task/...``) or a pending item (``method/task: why``)
    is about."""
    parts = name.split(':', 1)[0].split('/')
    return parts[1] if len(parts) > 1 else None


def _part(meta: dict, primaries) -> dict:
    return dict(
        command=meta.get('command'),
        primaries=list(primaries),
        machine=meta.get('machine', {}),
        session_wall_s=meta.get('session_wall_s'),
    )


def parts_of(meta: dict) -> list:
    """The invocations behind a results file: ``meta['parts']``, or the one it came from."""
    if meta.get('parts'):
        return [dict(p) for p in meta['parts']]
    if not meta.get('command'):
        return []
    return [_part(meta, (meta.get('scope') or {}).get('primaries', []))]


def merge(earlier: tuple, records: list, meta: dict, preset) -> tuple:
    """``(records, meta)`` of this invocation (``records``, ``meta``, run under ``preset``)
    with what ``earlier`` (``(records, meta)`` of the file it replaces) holds for the
    primaries this invocation does not run."""
    old_records, old_meta = earlier
    ran = set(preset.primaries)
    names = {r['name'] for r in records}

    def kept(name: str) -> bool:
        return _primary_of(name) not in ran and name not in names

    out = [r for r in old_records if r['primary'] not in ran and kept(r['name'])] + records
    old_parts = []
    for part in parts_of(old_meta):
        part['primaries'] = [p for p in part['primaries'] if p not in ran]
        if part['primaries']:
            old_parts.append(part)
    held = set(ran).union(*(p['primaries'] for p in old_parts))
    old_scope = old_meta.get('scope') or {}
    methods = set(preset.methods) | (set(old_scope.get('methods', [])) if old_parts else set())
    union = dataclasses.replace(
        preset,
        primaries=tuple(p for p in PRIMARIES if p in held),
        methods=tuple(m for m in METHODS if m in methods),
        prompt_seeds=_seeds(preset.prompt_seeds, old_scope, 'prompt_seeds', old_parts),
        other_seeds=_seeds(preset.other_seeds, old_scope, 'other_seeds', old_parts),
    )
    validation: dict = {}
    for source, tasks_of in ((old_meta, lambda t: t not in ran), (meta, lambda t: True)):
        for kind, tasks in (source.get('validation') or {}).items():
            chosen = validation.setdefault(kind, [])
            chosen += [t for t in tasks if tasks_of(t) and t not in chosen]
    merged = dict(
        meta,
        scope=scope(union),
        parts=old_parts + [_part(meta, preset.primaries)],
        notes=list(dict.fromkeys(list(old_meta.get('notes', [])) + list(meta.get('notes', [])))),
        validation=validation,
    )
    for key in ('pending', 'unfinished', 'failed'):
        merged[key] = [n for n in old_meta.get(key, []) if kept(n)] + list(meta.get(key, []))
    return out, merged


def _seeds(new: tuple, old_scope: dict, key: str, old_parts: list) -> tuple:
    old = old_scope.get(key, []) if old_parts else []
    return tuple(sorted(set(new) | set(old)))

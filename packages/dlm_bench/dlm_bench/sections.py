"""Which part of a merged results file each section of the page reads.

A primary's protocol is too long for one session on 2 cores, so a part may hold only some
sections of it (``tools/reproduce.py --leave-out``): Table 1 with the baselines from one
part, the knowledge controls from another. Every comparison pairs runs of one invocation
(the prompted run of seed k starts from that invocation's full fine-tuning run of seed k),
so a section of the page reads, for each primary, the records of the one part that holds
that section, never a mix. Records carry their part's id (``part``); a part records what
it holds per primary (``held``). Parts written before sections existed hold every section
of their primaries.
"""

from __future__ import annotations

from .catalog import PRIMARIES, VARIANT_METHODS

#: the page's sections a part can hold, each with the runs it alone needs; Table 1 (the
#: methods, their grids and the single-task models) is every other section's partner
SECTIONS = ('table1', 'variants', 'zero_shot', 'controls', 'low_data')
#: the sections whose own runs a preset flag of the same name plans
FLAGS = ('variants', 'zero_shot', 'controls', 'low_data')


def section_of(record: dict) -> str:
    """The section a record's run belongs to."""
    method = record['method']
    if record.get('regime', 'full') == 'low_data':
        return 'low_data'
    if method.startswith('zero_shot'):
        return 'zero_shot'
    if method == 'dlm_random_aux' or method.startswith(('dlm_only_', 'dlm_without_')):
        return 'controls'
    if method in VARIANT_METHODS:
        return 'variants'
    return 'table1'


def held_by(preset, left_out=()) -> list:
    """The sections a part of ``preset`` holds: those it plans, less ``left_out`` (Table 1's
    runs are planned whatever is left out: the other sections pair with them)."""
    return [s for s in SECTIONS if s not in left_out and (s not in FLAGS or getattr(preset, s))]


def part_held(part: dict) -> dict:
    """``{primary: [sections]}`` a part holds (a part from before sections: all of them)."""
    if part.get('held') is not None:
        return {p: list(s) for p, s in part['held'].items()}
    return {p: list(SECTIONS) for p in part.get('primaries', [])}


def part_id(part: dict, index: int) -> str:
    return str(part.get('id') or f'part{index}')


def owners(meta: dict) -> dict:
    """``{(primary, section): part id}`` of a results file's parts (the last part holding
    a section wins; a merge leaves one)."""
    found = {}
    for index, part in enumerate(meta.get('parts') or []):
        for primary, held in part_held(part).items():
            for section in held:
                found[(primary, section)] = part_id(part, index)
    return found


def record_part(record: dict, meta: dict) -> str | None:
    """A record's part: its ``part`` field, else (a record from before sections) the one
    part whose primaries hold its primary."""
    if record.get('part') is not None:
        return str(record['part'])
    for index, part in enumerate(meta.get('parts') or []):
        if record['primary'] in part.get('primaries', []):
            return part_id(part, index)
    return None


def view(records: list, meta: dict, section: str) -> list:
    """The records that ``section`` of the page reads: for each primary, those of the part
    holding that section; records of other tasks (the foundation run, the zero-shot
    targets) as they are. A file of one invocation is read whole."""
    parts = meta.get('parts') or []
    if len(parts) <= 1:
        return records
    owner = owners(meta)
    return [
        r
        for r in records
        if r['primary'] not in PRIMARIES
        or owner.get((r['primary'], section)) in (None, record_part(r, meta))
    ]

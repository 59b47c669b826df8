"""The section of ``docs/results.md`` on DLM's two variants: the exact start (zero-
initialised prompt gates) and static calibration (the static prompts trained after DLM).

Per primary: static, calibrated static and dynamic DLM and DLM with the exact start, on
the test split; the static–dynamic gap before and after calibration; and the validation
comparison that decides whether a variant may become the configs' default (it may where
its validation metric is not behind DLM's: the test split decides nothing).
"""

from __future__ import annotations

from . import stats
from .catalog import METRICS, NAMES

#: the rows of the variant table: (label, record filter)
VARIANT_ROWS = (
    ('DLM static', dict(method='dlm', infer_mode='static')),
    ('DLM static, calibrated', dict(method='dlm_calibrated', infer_mode='static')),
    ('DLM dynamic', dict(method='dlm', infer_mode='dynamic')),
    ('DLM exact start, static', dict(method='dlm_exact', infer_mode='static')),
    ('DLM exact start, dynamic', dict(method='dlm_exact', infer_mode='dynamic')),
)
#: test comparisons: (a, b, what the difference means)
TEST_PAIRS = (
    ('DLM static', 'DLM dynamic', 'static − dynamic gap, before calibration'),
    ('DLM static, calibrated', 'DLM dynamic', 'static − dynamic gap, after calibration'),
    ('DLM static, calibrated', 'DLM static', 'what calibration adds to static inference'),
    ('DLM exact start, dynamic', 'DLM dynamic', 'exact start − DLM, dynamic'),
    ('DLM exact start, static', 'DLM static', 'exact start − DLM, static'),
)
#: validation comparisons that decide the defaults: (variant, DLM run it would replace)
DEFAULT_PAIRS = (
    (dict(method='dlm_exact'), dict(method='dlm'), 'model.exact_start=True'),
    (dict(method='dlm_calibrated'), dict(method='dlm'), 'model.static_calibration=True'),
)


def _verdict_sentence(c: stats.Comparison, what: str, primary: str) -> str:
    word = {'ahead': 'ahead', 'behind': 'behind', 'tie': 'a tie'}[c.verdict]
    return f'{NAMES[primary]}, {what}: {c.text()} points, {word} (95 % interval, {c.basis}).'


def variant_lines(test: list, records: list, primaries: list, cell) -> list:
    """The section; ``test`` are the final test records, ``records`` all of them (the
    validation records decide the defaults), ``cell`` renders one table cell."""
    rows = dict(VARIANT_ROWS)
    present = [
        p
        for p in primaries
        if any(stats._select(test, primary=p, method=m) for m in ('dlm_exact', 'dlm_calibrated'))
    ]
    lines = ['## DLM variants: exact start and static calibration', '']
    if not present:
        return lines + ['No variant runs yet.', '']
    lines += [
        '"DLM" is the paper\'s DLM, its prompts ungated from the first step (the benchmark '
        'pins `model.exact_start=False`); "DLM exact start" is what the configs now train '
        '(`exact_start=True`, chosen by the validation comparisons below).',
        '',
        '| Row | ' + ' | '.join(f'{NAMES[p]} ({METRICS[p].label})' for p in present) + ' |',
        '|---' * (len(present) + 1) + '|',
    ]
    for label, where in VARIANT_ROWS:
        lines.append(f'| {label} | ' + ' | '.join(cell(test, p, where) for p in present) + ' |')
    lines += ['', 'Test split, paired by seed (and test video where the metric has one):', '']
    for primary in present:
        for a, b, what in TEST_PAIRS:
            c = stats.compare(test, primary, rows[a], rows[b], a, b)
            if c is not None:
                lines.append(f'- {_verdict_sentence(c, what, primary)}')
    lines += ['', 'Validation split (best validation value per run, paired by seed):', '']
    val = val_as_test(records)
    for primary in present:
        for a, b, option in DEFAULT_PAIRS:
            c = stats.compare(val, primary, a, b)
            if c is None:
                continue
            verdict = 'no worse: may be the default' if c.verdict != 'behind' else 'worse'
            lines.append(
                f'- {NAMES[primary]}, `{option}` on validation: {c.text()} points '
                f'({c.basis}), {verdict}.'
            )
    return lines + ['']


def val_as_test(records: list) -> list:
    """The best-validation records of the final runs (no grid candidates), relabelled so
    that ``stats.compare`` pairs them by seed (DLM runs validate with static prompts)."""
    return [
        dict(r, split='test')
        for r in records
        if r['split'] == 'val' and r.get('regime', 'full') == 'full' and r.get('stage') != 'grid'
    ]

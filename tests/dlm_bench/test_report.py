"""dlm_bench.report: the results page and its figures, rendered from synthetic records
whose numbers are checked by hand."""

from __future__ import annotations

import pytest
from dlm_bench import report

PNG = b'\x89PNG\r\n\x1a\n'


def record(method, primary, seed, value, mode=None, per_video=None, **extra):
    out = dict(
        name=f'{method}/{primary}/seed{seed}', method=method, primary=primary, seed=seed,
        split='test', metric='m', value=value, infer_mode=mode, train_head=method != 'full',
        trainable_percent=100.0 if method == 'full' else 9.5, iterations=10, wall_s=60.0,
        regime='full', stage='final',
    )  # fmt: skip
    if per_video is not None:
        out['videos'] = [str(i) for i in range(len(per_video))]
        out['per_video'] = per_video
    out.update(extra)
    return out


def synthetic():
    rows = []
    for seed in range(3):
        # SSv2 (per-video accuracy): DLM dynamic +75 points on every seed, static tied
        zeros = [0.0, 0.0, 0.0, 0.0]
        rows.append(record('full', 'ssv2', seed, 0.0, per_video=zeros))
        rows.append(record('dlm', 'ssv2', seed, 75.0, 'dynamic', [100.0, 100.0, 100.0, 0.0]))
        rows.append(record('dlm', 'ssv2', seed, 0.0, 'static', zeros))
        rows.append(record('vpt_middle', 'ssv2', seed, 0.0, per_video=zeros))
        rows.append(record('dlm_random_aux', 'ssv2', seed, 0.0, 'dynamic', zeros))
        rows.append(
            record('dlm_only_ava', 'ssv2', seed, 75.0, 'dynamic', [100.0, 100.0, 100.0, 0.0])
        )
        rows.append(
            record('dlm_only_thumos14', 'ssv2', seed, 25.0, 'dynamic', [100.0, 0.0, 0.0, 0.0])
        )
        # 50Salads (F1: seeds only): DLM behind full fine-tuning by 2, 3, 4
        rows.append(record('full', '50salads', seed, 90.0 + seed))
        rows.append(record('dlm', '50salads', seed, 88.0, 'static'))
        rows.append(record('full', 'ssv2', seed, 20.0 + seed, regime='low_data',
                           name=f'full/ssv2/low_data/seed{seed}'))  # fmt: skip
        rows.append(record('dlm', 'ssv2', seed, 30.0 + seed, 'dynamic', regime='low_data',
                           name=f'dlm/ssv2/low_data/seed{seed}'))  # fmt: skip
        curve = {'val': [[i, 50.0 + i + seed] for i in range(1, 11)], 'loss': []}
        rows.append(record('dlm', 'ssv2', seed, 60.0, split='val', curve=curve))
        rows.append(record('dlm_no_layer2', 'ssv2', seed, 55.0, split='val', curve=curve))
    rows.append(record('zero_shot_original', 'gtea', None, 70.0))
    rows += [record('zero_shot_dlm', 'gtea', s, 72.0 + s, 'static') for s in range(2)]
    return rows


def test_the_page_says_ahead_behind_or_tie_with_intervals(tmp_path):
    docs = tmp_path / 'docs'
    text = report.write(synthetic(), {'command': 'python tools/reproduce.py --quick'},
                        str(docs / 'results.md'), str(docs / 'fig3.png'),
                        str(docs / 'affinity.png'))  # fmt: skip
    assert (docs / 'results.md').read_text() == text
    assert '| DLM-VMTL, static | 0.00 [0.00, 0.00] |' in text
    assert '| DLM-VMTL, dynamic | 75.00 [' in text
    assert (
        'On SSv2, DLM-VMTL (dynamic) is ahead of Full fine-tuning: +75.00 [+' in text
        and '(95 % interval, 4 test videos x 3 seeds).' in text
    )
    assert 'On SSv2, DLM-VMTL (static) is tied with Full fine-tuning: +0.00 [+0.00, +0.00]' in text
    assert 'On 50Salads, DLM-VMTL (static) is behind Full fine-tuning: -3.00 [' in text
    assert '3 seeds only' in text
    # interval width per primary: the SSv2 static comparison, the 50Salads one
    widths = report.comparisons(report.final(synthetic()), ['ssv2', '50salads'])[1]
    assert widths['50salads'].high == pytest.approx(-2.0) and widths[
        '50salads'
    ].low == pytest.approx(-4.0)
    assert (
        f'| 50Salads | -3.00 [-4.00, -2.00] | {widths["50salads"].width:.2f} | 3 seeds only |'
        in text
    )
    # Table 2 with its interval
    assert '| GTEA (50Salads) | 70.00 | 72.50 [' in text and '+2.50 [+2.00, +3.00] (ahead)' in text
    # Fig. 3: mean and band over three seeds, ten points each
    assert (docs / 'fig3.png').read_bytes()[:8] == PNG
    assert '- SSv2, DLM-VMTL: 10 points, 3 seeds.' in text
    # knowledge: random auxiliaries, affinity heatmap, low data
    assert 'On SSv2, DLM-VMTL (dynamic) is ahead of DLM-VMTL, random auxiliaries (dynamic)' in text
    assert (docs / 'affinity.png').read_bytes()[:8] == PNG
    assert '- SSv2 ← AVA: +75.00 [' in text and '(ahead).' in text
    assert '- SSv2 ← THUMOS14: +25.00 [+0.00, ' in text and '(tie).' in text
    assert 'Low data: On SSv2, DLM-VMTL (dynamic) is ahead of Full fine-tuning: +10.00' in text
    assert 'python tools/reproduce.py --quick' in text


def test_an_empty_record_set_still_renders(tmp_path):
    docs = tmp_path / 'docs'
    text = report.write([], {}, str(docs / 'r.md'), str(docs / 'f.png'), str(docs / 'a.png'))
    assert 'No DLM validation curves were recorded.' in text
    assert not (docs / 'f.png').exists() and not (docs / 'a.png').exists()


def test_the_variant_section_gives_the_gaps_and_decides_defaults_on_validation(tmp_path):
    """50Salads (seeds only): static 88, dynamic 90+k, calibrated 91+k, exact start as DLM
    +1; on validation the exact start is behind DLM and calibration ahead."""
    rows = []
    for seed in range(3):
        rows.append(record('dlm', '50salads', seed, 88.0, 'static'))
        rows.append(record('dlm', '50salads', seed, 90.0 + seed, 'dynamic'))
        rows.append(record('dlm_calibrated', '50salads', seed, 91.0 + seed, 'static'))
        rows.append(record('dlm_exact', '50salads', seed, 89.0, 'static'))
        rows.append(record('dlm_exact', '50salads', seed, 91.0 + seed, 'dynamic'))
        rows.append(record('dlm', '50salads', seed, 80.0, split='val'))
        rows.append(record('dlm_exact', '50salads', seed, 70.0 + seed, split='val'))
        rows.append(record('dlm_calibrated', '50salads', seed, 82.0 + seed, split='val'))
        # a grid candidate's validation value never decides anything
        rows.append(record('dlm_exact', '50salads', seed, 99.0, split='val', stage='grid'))
    text = report.write(rows, {}, str(tmp_path / 'r.md'), str(tmp_path / 'f.png'),
                        str(tmp_path / 'a.png'))  # fmt: skip
    assert '## DLM variants: exact start and static calibration' in text
    assert '| DLM static, calibrated | 92.00 [' in text
    assert (
        '50Salads, static − dynamic gap, before calibration: -3.00 [-4.00, -2.00] points, behind'
        in text
    )
    assert (
        '50Salads, static − dynamic gap, after calibration: +1.00 [+1.00, +1.00] points, ahead'
        in text
    )
    assert '50Salads, exact start − DLM, dynamic: +1.00 [+1.00, +1.00] points, ahead' in text
    assert '`model.exact_start=True` on validation: -9.00 [-10.00, -8.00] points' in text
    assert '(3 seeds only), worse.' in text
    assert '`model.static_calibration=True` on validation: +3.00 [+2.00, +4.00] points' in text
    assert 'no worse: may be the default' in text


def test_the_single_task_curves_are_drawn_beside_the_page(tmp_path):
    rows = [
        record('full', 'ssv2', seed, 60.0, split='val',
               curve={'val': [[i, 40.0 + i] for i in range(1, 11)], 'loss': []})
        for seed in range(2)
    ]  # fmt: skip
    text = report.write(rows, {}, str(tmp_path / 'r.md'), str(tmp_path / 'f.png'),
                        str(tmp_path / 'a.png'))  # fmt: skip
    assert (tmp_path / 'single_task_curves.png').read_bytes()[:8] == PNG
    assert '![Single-task validation curves](single_task_curves.png)' in text
    assert '| SSv2 | 2 | 60.00, 60.00 | 10, 10 | – |' in text

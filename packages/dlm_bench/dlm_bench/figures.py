"""The figures of the results page, drawn from records: Fig. 3 (validation curves, mean and
band over seeds) and the task-affinity heatmap (cells whose interval contains 0 hatched)."""

from __future__ import annotations

import os
import os.path as osp

import numpy as np

from .catalog import LABELS, METRICS, NAMES


def _pyplot():
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    return plt


def mean_band(curves: list) -> tuple:
    """``(iterations, mean, std)`` over the seeds' curves at the iterations they share
    (runs of one schedule validate at the same iterations)."""
    shared = None
    for curve in curves:
        steps = {step for step, _ in curve}
        shared = steps if shared is None else shared & steps
    steps = sorted(shared or ())
    if not steps:
        return [], np.zeros(0), np.zeros(0)
    values = np.asarray([[dict(curve)[s] for s in steps] for curve in curves], float)
    return steps, values.mean(axis=0), values.std(axis=0)


def validation_curves(records: list, methods=('dlm', 'dlm_no_layer2')) -> dict:
    """``{(primary, method): [validation curve per seed]}`` of the final full-data runs."""
    out: dict = {}
    for record in records:
        if record['split'] != 'val' or record['method'] not in methods:
            continue
        if record.get('regime', 'full') != 'full' or record.get('stage') == 'grid':
            continue
        curve = (record.get('curve') or {}).get('val')
        if curve:
            out.setdefault((record['primary'], record['method']), []).append(
                [tuple(p) for p in curve]
            )
    return out


def plot_fig3(records: list, path: str) -> dict:
    """Draw Fig. 3; returns ``{(primary, method): (points, seeds)}`` (empty: nothing)."""
    title = 'Fig. 3: DLM with and without layer 2 (mean ± std over seeds)'
    return plot_curves(records, path, ('dlm', 'dlm_no_layer2'), title)


def plot_single_task_curves(records: list, path: str) -> dict:
    """The single-task models' validation curves (do they plateau?), as ``plot_fig3``."""
    title = 'Single-task models: validation curves (mean ± std over seeds)'
    return plot_curves(records, path, ('full',), title)


def plot_curves(records: list, path: str, methods: tuple, title: str) -> dict:
    """One panel per primary, one curve (mean and band over seeds) per method."""
    curves = validation_curves(records, methods)
    primaries = sorted({p for p, _ in curves}, key=lambda p: list(NAMES).index(p))
    if not primaries:
        return {}
    plt = _pyplot()
    fig, axes = plt.subplots(len(primaries), 1, figsize=(6, 2.6 * len(primaries)), squeeze=False)
    styles = dict(zip(methods, (('tab:blue', '-'), ('tab:orange', '--'), ('tab:green', ':'))))
    shown = {}
    for row, primary in enumerate(primaries):
        ax = axes[row][0]
        for method in methods:
            seeds = curves.get((primary, method))
            if not seeds:
                continue
            steps, mean, std = mean_band(seeds)
            color, style = styles[method]
            ax.plot(steps, mean, style, color=color, marker='o', ms=3, label=LABELS[method])
            ax.fill_between(steps, mean - std, mean + std, color=color, alpha=0.2)
            shown[(primary, method)] = (len(steps), len(seeds))
        ax.set_ylabel(f'{NAMES[primary]}\nval {METRICS[primary].label}')
        ax.grid(alpha=0.3)
    axes[-1][0].set_xlabel('iteration')
    axes[0][0].legend(fontsize=7)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
    return shown


def plot_affinity(matrix: dict, rows: list, cols: list, path: str) -> bool:
    """Heatmap of ``matrix[(row, col)] = Comparison`` (gain of the single-auxiliary run
    over VPT-middle); cells whose interval contains 0 are hatched, missing ones grey."""
    if not matrix:
        return False
    plt = _pyplot()
    values = np.full((len(rows), len(cols)), np.nan)
    for (r, c), comparison in matrix.items():
        values[rows.index(r), cols.index(c)] = comparison.diff
    limit = np.nanmax(np.abs(values)) or 1.0
    fig, ax = plt.subplots(figsize=(1.1 * len(cols) + 2, 0.8 * len(rows) + 1.5))
    cmap = plt.get_cmap('RdBu').with_extremes(bad='lightgrey')
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=-limit, vmax=limit)
    for (r, c), comparison in matrix.items():
        i, j = rows.index(r), cols.index(c)
        tie = comparison.verdict == 'tie'
        if tie:
            ax.add_patch(
                plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch='///', lw=0, alpha=0.6)
            )
        label = f'{comparison.diff:+.1f}' + ('\n(tie)' if tie else '')
        # a pale box behind the label: readable on the darkest cell and through the hatch
        box = dict(facecolor='white', alpha=0.75, lw=0, pad=1.5)
        ax.text(j, i, label, ha='center', va='center', fontsize=7, bbox=box)
    ax.set_xticks(range(len(cols)), [NAMES[c] for c in cols], rotation=30, ha='right', fontsize=7)
    ax.set_yticks(range(len(rows)), [NAMES[r] for r in rows], fontsize=7)
    ax.set_xlabel('auxiliary (alone)')
    ax.set_ylabel('primary')
    fig.colorbar(image, ax=ax, label='gain over VPT-middle (points)')
    ax.set_title('Task affinity: hatched = 95 % interval contains 0', fontsize=8)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
    return True


def _save(fig, path: str) -> None:
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)

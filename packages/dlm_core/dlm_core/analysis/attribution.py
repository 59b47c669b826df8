"""Per-auxiliary attribution inside one trained DLM run (dynamic inference).

For every auxiliary ``i``: (a) the attention share that the primary's task tokens give its
prompts, averaged over a split and over the layers from the prompt layer on
(:mod:`~dlm_core.analysis.attention_recorder`); (b) the primary metric, through the
config's own evaluator, with its prompts removed, and with its prompts replaced by their
split average (:mod:`~dlm_core.analysis.prompt_groups`); and the metric with all prompts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn

from ..models.prompting import encode_with_prompts, lower_state
from .attention_recorder import AttentionNotObservable, PromptAttentionRecorder
from .prompt_groups import check_attributable, edited_prompt_group, group_rows


def attention_and_prompt_means(model: nn.Module, batches: Iterable) -> dict:
    """One pass over ``batches`` (data-loader batches) in dynamic inference: each group's
    attention share (when the plugin lets it be observed) and the mean of every prompt row.

    Returns ``dict(available, reason, definition, per_layer, shares, means, samples)``;
    ``shares`` is ``None`` when not available, ``means`` is ``(M, D_p)``.
    """
    check_attributable(model)
    mapper, primary = model.mapper, model.primary
    groups = list(mapper.prompt_groups)
    recorder = PromptAttentionRecorder(
        groups, model.prompt_layer, primary.num_layers, model.prompt_gate
    )
    reason = None
    if not primary.supports_prompt_gate:
        reason = f'{type(primary).__name__} takes no gate= (supports_prompt_gate is False)'
    sums, count = None, 0
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for batch in batches:
                data = model.data_preprocessor(batch, False)
                inputs, samples = data['inputs'], data.get('data_samples')
                captured: list[torch.Tensor] = []
                make_prompts = _prompt_maker(model, inputs, samples, captured)
                if reason is None:
                    try:
                        encode_with_prompts(
                            primary, inputs, model.prompt_layer, make_prompts, recorder
                        )
                    except AttentionNotObservable as err:
                        reason = f'{type(primary).__name__}: {err}'
                if not captured:  # attention not recorded: the prompts alone
                    state = lower_state(primary, inputs, model.prompt_layer)
                    make_prompts(primary.tokens(state).shape[0])
                prompts = captured[0].to(torch.float64)
                sums = prompts.sum(0) if sums is None else sums + prompts.sum(0)
                count += prompts.shape[0]
    finally:
        model.train(was_training)
    if not count:
        raise RuntimeError('the split has no samples')
    available = reason is None and bool(recorder.per_layer())
    if reason is None and not available:
        reason = f'{type(primary).__name__} routed no prompted attention through the gate'
    return dict(
        available=available,
        reason=reason,
        definition=recorder.definition,
        per_layer=recorder.per_layer() if available else None,
        shares=recorder.mean_shares() if available else None,
        gates=_signed_gates(model.prompt_gate),
        means=(sums / count).to(torch.float32),
        samples=count,
    )


def _prompt_maker(model, inputs, samples, captured: list) -> Callable[[int], torch.Tensor]:
    """``make_prompts`` of :func:`encode_with_prompts` for one batch (dynamic inference),
    keeping the prompts it made in ``captured``."""

    def make_prompts(batch_size: int) -> torch.Tensor:
        prompts = model.mapper(model.auxiliary_taps(inputs, samples), batch_size)
        captured.append(prompts)
        return prompts

    return make_prompts


def _signed_gates(gate) -> dict | None:
    if gate is None:
        return None
    values = torch.tanh(gate.logits.detach().cpu())
    return {gate.first_layer + row: values[row].tolist() for row in range(values.shape[0])}


def attribute_auxiliaries(
    model: nn.Module,
    batches: Callable[[], Iterable],
    evaluate: Callable[[], dict],
    metric: str | None = None,
) -> dict:
    """The attribution record of ``model`` (dynamic inference) on one split.

    ``batches()`` iterates the split's data-loader batches; ``evaluate()`` runs the
    config's test loop on that split and returns its metrics. ``metric``: the key the
    deltas are computed on (default: the first key the evaluator returns).
    """
    names = check_attributable(model)
    if model.infer_mode != 'dynamic':
        raise ValueError("attribution runs in dynamic inference: set model.infer_mode='dynamic'")
    reference = dict(evaluate())
    metric = metric or next(iter(reference))
    if metric not in reference:
        raise KeyError(f'metric {metric!r} is not among the evaluator keys {sorted(reference)}')
    pass_ = attention_and_prompt_means(model, batches())
    groups = list(model.mapper.prompt_groups)
    auxiliaries = {}
    for index, name in enumerate(names):
        entry = dict(
            prompts=groups[index],
            attention_share=None if pass_['shares'] is None else pass_['shares'][index],
            attention_per_layer=None
            if pass_['per_layer'] is None
            else {layer: shares[index] for layer, shares in pass_['per_layer'].items()},
        )
        rows = pass_['means'][group_rows(groups, index)]
        for edit in ('removed', 'averaged'):
            with edited_prompt_group(model, index, edit, rows if edit == 'averaged' else None):
                metrics = dict(evaluate())
            entry[edit] = metrics
            entry[f'{edit}_delta'] = float(metrics[metric]) - float(reference[metric])
        auxiliaries[name] = entry
    return dict(
        metric=metric,
        inference='dynamic',
        gated=model.prompt_gate is not None,
        samples=pass_['samples'],
        attention=dict(
            available=pass_['available'],
            reason=pass_['reason'],
            definition=pass_['definition'],
            averaged_over=f'task-token queries, heads and the samples of the split, then the '
            f'layers [{model.prompt_layer}, {model.primary.num_layers})',
            signed_gates=pass_['gates'],
        ),
        all_prompts=reference,
        auxiliaries=auxiliaries,
    )


def format_table(record: dict) -> str:
    """The record as a plain-text table, one row per auxiliary."""
    metric = record['metric']
    base = float(record['all_prompts'][metric])
    header = (
        f'{"auxiliary":<16}{"prompts":>8}{"attention %":>13}'
        f'{"removed":>11}{"Δ":>9}{"averaged":>11}{"Δ":>9}'
    )
    lines = [
        f'{metric} with all prompts (dynamic inference): {base:.4f}'
        + ('' if not record['gated'] else '  [exact start: gated shares]'),
        header,
        '-' * len(header),
    ]
    for name, entry in record['auxiliaries'].items():
        share = entry['attention_share']
        share_text = '-' if share is None else f'{100 * share:.2f}'
        lines.append(
            f'{name:<16}{entry["prompts"]:>8}{share_text:>13}'
            f'{float(entry["removed"][metric]):>11.4f}{entry["removed_delta"]:>+9.4f}'
            f'{float(entry["averaged"][metric]):>11.4f}{entry["averaged_delta"]:>+9.4f}'
        )
    attention = record['attention']
    lines.append(
        f'attention: {attention["definition"]}, averaged over {attention["averaged_over"]}'
    )
    if not attention['available']:
        lines.append(f'attention not measured: {attention["reason"]}')
    lines.append(
        "removed: the auxiliary's prompts sliced out; averaged: replaced by their mean over "
        'the split (what is left of it is static); Δ against all prompts'
    )
    return '\n'.join(lines)

"""``docs/results.json``: one record per run, split and inference mode, read off the runs.

A record holds at least ``method, primary, seed, split, metric, value, infer_mode,
train_head, trainable_percent, iterations, wall_s``; test records of metrics that can be
scored per video also hold ``videos`` and ``per_video`` (the per-video scores whose mean is
the metric), so that intervals bootstrap over test videos. F1 over summed counts holds
``videos`` and ``per_video_counts`` (each video's TP/FP/FN: a replicate sums the resampled
videos' counts). mAP, no sum over videos, holds ``videos`` (sorted), ``replicate_values``
(the metric, in percent, on fixed bootstrap resamples of those videos, the same resamples
for every run: the metric's ``replicates_file``) and ``replicate_seed``. Records without
any of these (runs made before the mAP metrics wrote replicates) bootstrap over seeds only
(``stats`` says which it used).
"""

from __future__ import annotations

import glob
import json
import os
import os.path as osp
import pickle

import numpy as np

from .catalog import METRICS, Metric
from .protocol import validates_by_iteration

FIELDS = (
    'method',
    'primary',
    'seed',
    'split',
    'metric',
    'value',
    'infer_mode',
    'train_head',
    'trainable_percent',
    'iterations',
    'wall_s',
)


# -- training logs ------------------------------------------------------------------------
def read_scalars(work_dir: str) -> list:
    """MMEngine's scalars of every training session of a run, oldest first."""
    entries = []
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as handle:
            entries += [json.loads(line) for line in handle if line.strip()]
    return entries


def curves(entries: list, metric: Metric, val_by_iter: bool = False) -> dict:
    """Validation metric (percent) and training loss against the training iteration.

    Training entries carry ``iter``; validation entries carry ``step``, which an
    epoch-based loop counts in epochs: those become the last iteration of that epoch
    (``val_by_iter``: the run logged its validation points at their iteration already,
    ``dlm.ValidationPointsHook``). A resumed run's later entries replace earlier ones at
    the same iteration.
    """
    train = [e for e in entries if 'loss' in e]
    epoch_end: dict = {}
    for entry in train:
        if 'epoch' in entry:
            epoch_end[entry['epoch']] = max(epoch_end.get(entry['epoch'], 0), entry['iter'])
    loss = {e.get('iter', e.get('step')): float(e['loss']) for e in train}
    per_epoch = max(epoch_end.values()) / max(epoch_end) if epoch_end else None
    val = {}
    for entry in entries:
        if metric.key not in entry or 'loss' in entry:
            continue
        step = entry['step']
        if epoch_end and not val_by_iter:
            step = epoch_end.get(step, round(step * per_epoch))
        val[step] = float(entry[metric.key]) * metric.scale
    return dict(val=sorted(val.items()), loss=sorted(loss.items()))


def iterations(entries: list) -> int | None:
    """The last training iteration the logs show."""
    steps = [e['iter'] for e in entries if 'loss' in e and 'iter' in e]
    return max(steps) if steps else None


def best_validation(entries: list, metric: Metric, val_by_iter: bool = False) -> float | None:
    values = curves(entries, metric, val_by_iter)['val']
    return max(v for _, v in values) if values else None


# -- per-video scores ---------------------------------------------------------------------
def load_predictions(path: str) -> list:
    """The samples MMEngine's ``DumpResults`` wrote (``tools/test.py --dump``)."""
    import torch  # noqa: F401  (the dumped samples hold tensors)

    with open(path, 'rb') as handle:
        samples = pickle.load(handle)
    if not isinstance(samples, list):
        raise ValueError(f'{path}: expected a list of predicted samples, got {type(samples)}')
    return samples


def _array(value) -> np.ndarray:
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def _field(sample: dict, name: str, path: str, index: int):
    if name not in sample:
        raise ValueError(
            f'{path}: predicted sample {index} has no {name!r} (fields: {sorted(sample)})'
        )
    return sample[name]


def accuracy_per_video(samples: list, path: str = '<predictions>') -> tuple:
    """``(video ids, 1.0 where the top-scored class is the label)`` of classification
    samples (``pred_score``, ``gt_label``; id: ``filename`` or the sample's index)."""
    ids, scores = [], []
    for index, sample in enumerate(samples):
        pred = _array(_field(sample, 'pred_score', path, index)).reshape(-1)
        label = _array(_field(sample, 'gt_label', path, index)).reshape(-1)
        ids.append(str(sample.get('filename', sample.get('video_id', index))))
        scores.append(float(int(np.argmax(pred)) == int(label[0])))
    return ids, scores


PER_VIDEO = {'accuracy': accuracy_per_video}


def per_video_scores(metric: Metric, dump: str) -> tuple | None:
    """``(ids, scores in percent)`` from a run's dumped predictions, or None when the
    metric has no per-video form or nothing was dumped."""
    extract = PER_VIDEO.get(metric.per_video)
    if extract is None or not osp.isfile(dump):
        return None
    ids, scores = extract(load_predictions(dump), dump)
    return ids, [s * 100.0 for s in scores]


def f1_counts_per_video(metric: Metric, path: str, value: float) -> tuple | None:
    """``(ids, [[tp, fp, fn], ...])`` of the ``metric.key`` F1 from the per-video file a
    test run's metric wrote, or None without one. Their sums must give the run's
    ``value``: counts that do not are an error, never an interval."""
    if not osp.isfile(path):
        return None
    with open(path) as handle:
        table = json.load(handle)
    try:
        ids, counts = list(table['videos']), np.asarray(table['counts'][metric.key], float)
    except (KeyError, TypeError) as error:
        raise ValueError(
            f'{path}: expected {{"videos": [...], "counts": {{"{metric.key}": [[tp, fp, fn], '
            f'...]}}}} ({error!r} missing)'
        ) from None
    if counts.shape != (len(ids), 3):
        raise ValueError(f'{path}: {len(ids)} videos but counts of shape {counts.shape}')
    summed = float(f1_scores(counts[None])[0])
    if abs(summed - value) > 1e-6 * max(1.0, abs(value)):
        raise ValueError(
            f'{path}: the per-video counts give {metric.key} {summed:.6f}, but the run '
            f'scored {value:.6f}: the file is not from this test'
        )
    return ids, counts.tolist()


def replicates_per_video(metric: Metric, path: str, value: float) -> dict | None:
    """``{videos, replicate_values, replicate_seed}`` of the ``metric.key`` replicates file
    a test run's metric wrote (values scaled to percent as the record's), or None without
    one. Its ``value`` (every video once) must be the run's ``value``: a file that is not
    is an error, never an interval."""
    if not osp.isfile(path):
        return None
    with open(path) as handle:
        table = json.load(handle)
    try:
        videos, values = list(table['videos']), [float(v) for v in table['values']]
        full, seed, replicates = float(table['value']), int(table['seed']), table['replicates']
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(
            f'{path}: expected {{"videos": [...], "replicates": R, "seed": s, "values": '
            f'[...], "value": v}} ({error!r})'
        ) from None
    if not values:
        raise ValueError(f'{path}: it holds no replicate values (replicates {replicates})')
    if len(values) != replicates:
        raise ValueError(f'{path}: "replicates" is {replicates} but it holds {len(values)} values')
    if videos != sorted(set(videos)):
        raise ValueError(f'{path}: "videos" must be the sorted unique test videos')
    scaled = full * metric.scale
    if abs(scaled - value) > 1e-6 * max(1.0, abs(value)):
        raise ValueError(
            f'{path}: its "value" gives {metric.key} {scaled:.6f}, but the run scored '
            f'{value:.6f}: the file is not from this test'
        )
    return dict(
        videos=videos,
        replicate_values=[v * metric.scale for v in values],
        replicate_seed=seed,
    )


def f1_scores(counts: np.ndarray) -> np.ndarray:
    """F1 (0-100) of ``(..., videos, 3)`` TP/FP/FN counts summed over the videos:
    ``2 TP / (2 TP + FP + FN)``, 0 where that is 0 / 0."""
    tp, fp, fn = np.moveaxis(np.asarray(counts, float).sum(axis=-2), -1, 0)
    denominator = 2 * tp + fp + fn
    return np.divide(200.0 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)


# -- records ------------------------------------------------------------------------------
def trainable_percent(run) -> float | None:
    """100 for full fine-tuning; else what the run's prompt file (or its log) records."""
    if run.method == 'full':
        return 100.0
    record = run.record()
    if record.get('trainable_percent') is not None:
        return float(record['trainable_percent'])
    prompt_file = run.path('prompts_chosen.pth')
    if osp.isfile(prompt_file):
        from dlm_core.prompt_io import load_prompt_file

        value = load_prompt_file(prompt_file)['meta'].get('trainable_percent')
        if value is not None:
            return float(value)
    return None


def run_records(run) -> list:
    """The records of one run: its best validation value (trained runs that validated)
    and one test record per inference mode whose metrics file exists."""
    metric = METRICS[run.task]
    info = run.record()
    entries = read_scalars(run.path()) if run.train else []
    base = dict(
        name=run.name,
        method=run.method,
        primary=run.task,
        seed=run.seed,
        metric=metric.key,
        train_head=run.train_head,
        trainable_percent=trainable_percent(run),
        iterations=info.get('iterations', iterations(entries)),
        wall_s=info.get('wall_s'),
        lr=run.lr,
        regime=run.regime,
        stage=run.stage,
        variant=run.variant,
        validation=run.validation,
        checkpoint=info.get('checkpoint'),
    )
    out = []
    by_iter = validates_by_iteration(run.train_options)
    curve = curves(entries, metric, by_iter) if entries else None
    best = best_validation(entries, metric, by_iter) if entries else None
    if best is not None:
        out.append(dict(base, split='val', value=best, infer_mode=None, curve=curve))
    if not run.test:
        return out
    for mode in run.modes:
        path = run.metrics_file(mode)
        if not osp.isfile(path):
            continue
        with open(path) as handle:
            metrics = json.load(handle)
        if metric.key not in metrics:
            raise ValueError(f'{path}: no {metric.key!r} among the metrics {sorted(metrics)}')
        record = dict(
            base, split='test', value=float(metrics[metric.key]) * metric.scale, infer_mode=mode
        )
        scores = per_video_scores(metric, run.dump_file(mode))
        if scores is not None:
            record['videos'], record['per_video'] = scores
        if metric.per_video == 'f1_counts':
            counts = f1_counts_per_video(metric, run.per_video_file(mode), record['value'])
            if counts is not None:
                record['videos'], record['per_video_counts'] = counts
        if metric.per_video == 'replicates':
            replicates = replicates_per_video(metric, run.replicates_file(mode), record['value'])
            if replicates is not None:
                record.update(replicates)
        out.append(record)
    return out


def collect(plan) -> list:
    """Every record of the plan's finished runs, in plan order (a run still training, or
    trained but not yet tested, gives none: a page never shows half a run)."""
    return [record for run in plan.runs.values() if run.done for record in run_records(run)]


#: significant digits a results file keeps of a measured value: far below any interval's
#: last printed digit, and half the file's size of full doubles (its bootstrap replicates
#: and per-video scores are most of it)
DIGITS = 7


def rounded(value):
    """``value`` with every float (numpy's included) kept to ``DIGITS`` significant digits."""
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(item) for item in value]
    if isinstance(value, (float, np.floating)):
        return float(f'{float(value):.{DIGITS}g}')
    return value


def write(records: list, path: str, meta: dict | None = None) -> None:
    """One JSON document, written one record per line (``rounded``): indenting every
    per-video list made the file 1.7 times its compact size, and a line per run still
    diffs run by run. The test videos' names, the same list in every run of one test
    split, are written once under ``"videos"`` and named by their index (``videos_of``);
    ``read`` gives every record its list back."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = path + '.tmp'
    lists: dict = {}  # each distinct list of test videos -> its index in the file

    def line(record) -> str:
        if isinstance(record.get('videos'), list):
            index = lists.setdefault(tuple(record['videos']), len(lists))
            record = {('videos_of' if k == 'videos' else k): (index if k == 'videos' else v)
                      for k, v in record.items()}  # fmt: skip
        return json.dumps(rounded(record), default=float, separators=(',', ':'))

    lines = [line(record) for record in records]
    with open(tmp, 'w') as handle:
        handle.write('{"meta": ' + json.dumps(meta or {}, indent=1, default=float))
        handle.write(',\n"videos": [')
        handle.write(','.join('\n' + json.dumps(list(v), separators=(',', ':')) for v in lists))
        handle.write('\n],\n"records": [')
        handle.write(','.join('\n' + text for text in lines))
        handle.write('\n]}\n')
    os.replace(tmp, path)


def read(path: str) -> tuple:
    """``(records, meta)`` of a results file, each record checked for the fields."""
    with open(path) as handle:
        data = json.load(handle)
    records = data.get('records') if isinstance(data, dict) else None
    if not isinstance(records, list):
        raise ValueError(f'{path}: expected {{"meta": ..., "records": [...]}}')
    lists = data.get('videos') or []
    for index, record in enumerate(records):
        if 'videos_of' in record:  # the test videos, written once per list (``write``)
            shared = record.pop('videos_of')
            if not isinstance(shared, int) or not 0 <= shared < len(lists):
                raise ValueError(
                    f'{path}: record {index} names video list {shared!r}; the file holds '
                    f'{len(lists)} under "videos"'
                )
            record['videos'] = list(lists[shared])
        missing = [f for f in FIELDS if f not in record]
        if missing:
            raise ValueError(f'{path}: record {index} has no {", ".join(missing)}')
    return records, data.get('meta', {})

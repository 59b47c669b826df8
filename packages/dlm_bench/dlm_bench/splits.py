"""The benchmark's data: the bench preset of the demo sets, its validation splits, and the
low-data training subset.

Every choice of the benchmark (checkpoint, learning rate) is made on a validation split;
the test split is read once per run, for the report. The runs read the bench preset of
the demo sets (``tools/data/make_demo_data.py --preset bench``, under ``data/bench``):
each primary keeps the default training split, has a larger test split (the default test
videos first) and a validation split of videos that continue the training stream, written
by the set's generator in the set's own format. ``data_options`` points a config at the
bench folder (``--cfg-options data_root=...`` moves every path derived from it);
``validation_options`` points the validation dataloader and evaluator at the held-out files.
Writing the validation split in its real format (rather than carving files here) lets the
dataset and the evaluator read the same file with their own checks, for every format.

Sizes (the test split is the target: a 95 % interval of a paired difference "DLM - baseline"
of at most +-2 points, bootstrap over test videos and 5 seeds). Per seed, the difference on
``n`` test videos varies by ``sqrt(sa2 + sw2 / n)``: ``sa2`` the model (seed) part, ``sw2``
the per-video variance of the difference. With the seed part small (below), the interval's
half-width is about ``1.96 * sqrt(sw2 / (n * k))``, ``k`` between 1 (the per-video
differences repeat in every seed) and 5 (independent per seed); the sizes below aim at
``k = 2.5``. ``sw2`` from docs/results.md (two seeds, the configs' schedules; the spread of
one method times sqrt 2 for a difference of two runs):

* SSv2 (top-1, 0/1 per clip): DLM - full was +3.0 and -2.5 points on 200 clips (sd 3.9),
  which 200 clips alone explain (a discordance of 30 %: sqrt(0.3 / 200) = 3.9 points), so
  ``sa2`` ~ 0 and ``sw2`` ~ 0.3 * 100^2 = 3000: n >= 1150; 1600 clips give +-1.7
  (k = 2.5), +-2.7 (k = 1), +-1.2 (k = 5), less as the models improve. Measured on the
  bench test split: two full fine-tuning seeds (58.7 and 57.8 top-1) disagree on 29.7 % of
  the 1600 clips (``sw2`` = 2974); one seed pair's interval is +-7.3 on the first 200 clips
  (the default test split) and +-2.7 on all 1600.
* AVA (frame mAP): full 47.5 +- 2.6 on 10 videos: ``sw2`` ~ (2.6 * 1.41)^2 * 10 = 137:
  n >= 53; 60 videos give +-1.9 (k = 2.5), +-3.0 (k = 1).
* THUMOS14 (mAP): the prompted runs' spread 0.3 on 16 videos; full's 16.8 is one collapsed
  seed, a model effect that no test video resolves; 64 videos (4x) are cheap.
* 50Salads (F1@50): 0.5 on 4 videos: ``sw2`` ~ 2; 24 videos: +-0.4 by this measure, but 4
  videos hardly measure a spread, so 6x.
* ImageNet VID (AP50): 9.7 +- 1.6 on 16 videos: ``sw2`` ~ 78: n >= 30; 80 videos: +-1.2.
* YouTube-VIS (video AP): 22.8 +- 4.5 on 24 videos: ``sw2`` ~ 950: n >= 365; 360 videos:
  +-2.0 (k = 2.5), +-3.2 (k = 1).

Where a metric has no per-video form (mAP, F1 over summed counts) the interval is over
seeds only and its half-width is about ``0.8 * sqrt(sa2 + sw2 / n)`` with 5 seeds: the same
sizes keep it near +-2 while ``sa2`` is small. Validation splits are smaller (they are
evaluated about ten times a run): SSv2 400 clips, AVA 16, THUMOS14 24, 50Salads 8,
ImageNet VID 24, YouTube-VIS 48 videos.

The low-data regime trains on a seeded tenth of the bench training split's samples, in the
unit its dataset trains on (``dlm_bench.subsets``: clips, videos, AVA keyframes), written in
the split's own format so that the dataset reads it with its own checks.
"""

from __future__ import annotations

import json
import os
import os.path as osp
from dataclasses import dataclass

from . import subsets
from .catalog import REPO, config_path, load_config

#: where ``make_demo_data.py --preset bench`` writes the sets (relative to the repository)
BENCH_ROOT = 'data/bench'
#: each primary's validation split in the bench preset: ``--cfg-options`` of the validation
#: dataloader and evaluator; ``{root}`` is the set's bench folder (paths of datasets with a
#: ``data_root`` of their own are relative to it, as in the configs)
BENCH_VALIDATION = {
    'ssv2': {'val_dataloader.dataset.ann_file': '{root}/sthv2_heldout_list_videos.txt'},
    'ava': {
        'val_dataloader.dataset.ann_file': '{root}/annotations/ava_heldout_v2.2.csv',
        'val_dataloader.dataset.exclude_file': (
            '{root}/annotations/ava_heldout_excluded_timestamps_v2.2.csv'
        ),
        'val_dataloader.dataset.proposal_file': (
            '{root}/annotations/ava_dense_proposals_heldout.FAIR.recall_93.9.pkl'
        ),
        'val_evaluator.ann_file': '{root}/annotations/ava_heldout_v2.2.csv',
        'val_evaluator.exclude_file': '{root}/annotations/ava_heldout_excluded_timestamps_v2.2.csv',
    },
    'thumos14': {'val_dataloader.dataset.subset': 'HeldOut', 'val_evaluator.subset': 'HeldOut'},
    '50salads': {'val_dataloader.dataset.ann_file': 'splits/val.split1.bundle'},
    'imagenet_vid': {
        'val_dataloader.dataset.ann_file': 'annotations/imagenet_vid_train_heldout.json',
        'val_evaluator.ann_file': '{root}/annotations/imagenet_vid_train_heldout.json',
    },
    'youtube_vis': {
        'val_dataloader.dataset.ann_file': 'train_heldout.json',
        'val_dataloader.dataset.data_prefix.img_path': 'train/JPEGImages',
    },
}
#: the share of the training split that the low-data regime trains on
LOW_DATA_FRACTION = 0.1
#: the format of each primary's training annotation, as ``dlm_bench.subsets`` names it
FORMATS = {
    'ssv2': 'lines',
    '50salads': 'lines',
    'ava': 'ava_csv',
    'thumos14': 'thumos14_json',
    'imagenet_vid': 'videos_json',
    'youtube_vis': 'videos_json',
}


@dataclass(frozen=True)
class SplitFiles:
    """Where one primary's written files go (absolute paths)."""

    low_data: str


def set_folder(task: str, data_root: str = BENCH_ROOT) -> str:
    """The bench folder of ``task``'s set."""
    return f'{data_root.rstrip("/")}/{task}'


def data_options(task: str, data_root: str = BENCH_ROOT) -> dict:
    """``--cfg-options`` that make a config of ``task`` read its bench set (train.py and
    test.py alike)."""
    return {'data_root': set_folder(task, data_root)}


def has_validation(task: str) -> bool:
    return task in BENCH_VALIDATION


def validation_options(task: str, data_root: str = BENCH_ROOT) -> dict:
    """``--cfg-options`` that validate on ``task``'s held-out split (dataset and evaluator
    alike); training and testing keep the bench set's own files."""
    if not has_validation(task):
        raise ValueError(f'{task}: no validation split in the bench preset')
    root = set_folder(task, data_root)
    return {key: value.format(root=root) for key, value in BENCH_VALIDATION[task].items()}


def has_carver(task: str) -> bool:
    """Whether the low-data subset of ``task``'s training split can be written."""
    return task in FORMATS


def _rebased(path: str, old: str, new: str) -> str:
    old = old.rstrip('/')
    return new + path[len(old) :] if path == old or path.startswith(old + '/') else path


def training_annotations(task: str, root: str | None = None, data_root: str = BENCH_ROOT) -> str:
    """The bench training split's annotation file of ``task`` (absolute)."""
    cfg = load_config(config_path('full', task), root)
    dataset = cfg.train_dataloader.dataset
    path = osp.join(dataset.get('data_root') or '', dataset.ann_file)
    path = _rebased(path, cfg.data_root, set_folder(task, data_root))
    return osp.join(root or REPO, path)


def split_files(out_dir: str, task: str, root: str | None = None) -> SplitFiles:
    extension = osp.splitext(training_annotations(task, root))[1]
    return SplitFiles(osp.join(out_dir, 'splits', task, f'train_low{extension}'))


def low_data_lines(train: list, fraction: float = LOW_DATA_FRACTION, seed: int = 0) -> list:
    """A seeded ``fraction`` of the training lines (at least one), in their order."""
    return subsets.lines(train, fraction, seed)


def low_data_text(task: str, text: str, source: str, root: str | None = None) -> str:
    """The low-data subset of ``task``'s training annotation ``text`` (read from
    ``source``), in the same format."""
    kind, fraction = FORMATS[task], LOW_DATA_FRACTION
    if kind == 'lines':
        kept = low_data_lines(sorted(line.strip() for line in text.splitlines() if line.strip()))
        return ''.join(f'{line}\n' for line in kept)
    if kind == 'ava_csv':
        return subsets.ava_csv(text, fraction, source=source)
    try:
        payload = json.loads(text)
    except ValueError as error:
        raise ValueError(f'{source}: not valid json ({error})') from None
    if kind == 'thumos14_json':
        subset = load_config(config_path('full', task), root).train_dataloader.dataset.subset
        payload = subsets.thumos14_json(payload, fraction, subset, source=source)
    else:
        payload = subsets.videos_json(payload, fraction, source=source)
    return json.dumps(payload)


def write_splits(
    out_dir: str, task: str, root: str | None = None, data_root: str = BENCH_ROOT
) -> SplitFiles:
    """Write the low-data subset of ``task``'s bench training split under
    ``<out_dir>/splits/<task>``; neither the validation nor the test split is read."""
    if not has_carver(task):
        raise ValueError(f'{task}: no low-data subset writer for its annotation format')
    source = training_annotations(task, root, data_root)
    try:
        with open(source) as handle:
            text = handle.read()
    except OSError as error:
        raise FileNotFoundError(
            f'{source}: the bench training split of {task} is missing ({error.strerror}); '
            'write it with python tools/data/make_demo_data.py --preset bench'
        ) from None
    files = split_files(out_dir, task, root)
    os.makedirs(osp.dirname(files.low_data), exist_ok=True)
    tmp = files.low_data + '.tmp'
    with open(tmp, 'w') as handle:
        handle.write(low_data_text(task, text, source, root))
    os.replace(tmp, files.low_data)
    return files


def split_options(
    out_dir: str, task: str, low_data: bool = False, root=None, data_root: str = BENCH_ROOT
) -> dict:
    """Training ``--cfg-options``: validate on the held-out split, and train on the
    low-data subset when asked (the bench set itself comes from ``data_options``)."""
    options = validation_options(task, data_root)
    if low_data:
        if not has_carver(task):
            raise ValueError(f'{task}: no training subset writer for its annotation format')
        options['train_dataloader.dataset.ann_file'] = split_files(out_dir, task, root).low_data
    return options


def validation_source(task: str) -> str:
    """``carved`` (held out from the training stream) or ``none`` (no validation split)."""
    return 'carved' if has_validation(task) else 'none'

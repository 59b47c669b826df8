"""Reproduce the paper's Tables 1 and 2 and Fig. 3 on the demo benchmark, with one command.

    python tools/reproduce.py [--primaries P ...] [--methods M ...] [--seeds K ...]
        [--ablation-seeds K ...] [--budget full|short] [--max-epochs N]
        [--backbones reproduce|standard] [--no-zero-shot] [--no-tune]
        [--root work_dirs/reproduce] [--dry-run] [--report-only]

For each primary x method x seed it trains (``tools/train.py --work-dir
<root>/<method>/<primary>/seed<k> --cfg-options randomness.seed=<k>``) and tests
(``tools/test.py --metrics-json``); then the zero-shot runs of Table 2 (the held-out model
with and without the prompts of the DLM seed-k run); then the search of DLM's settings on a
validation split of SSv2 and 50Salads (``tune_variants``: learning rate, prompts, tap and
prompt layer, schedule; every 4th training sample held out, the test split never read) and
each winner trained and tested like Table 1's DLM; then it writes ``docs/results.md`` (both
tables, mean ± spread over seeds, trainable %, the search, caveats) and
``docs/fig3_layer2.png`` (DLM with and without layer 2: validation metric and training loss
against iterations).

Budget: ``--budget short`` halves the schedules of the prompt-tuning and HPS runs (every
epoch count that depends on the length, scheduler included); ``--ablation-seeds 0`` runs
VPT-middle and DLM without layer 2 (not in the paper's Table 1) on fewer seeds.

Resumable: a run whose metrics file exists is not redone; a run interrupted mid-way
resumes from its last checkpoint (``--resume``). A failed run is reported and the runs
that need it are skipped; the others go on.

Backbones (``--backbones reproduce``, the default): every frozen model a run prompts or
starts from is the seed-0 full fine-tuning run of that task under ``--root``
(``full/<task>/seed0``, passed by ``--cfg-options ...checkpoint=``), so the whole
reproduction starts from nothing and full fine-tuning at seed 0 is not trained twice.
``--backbones standard`` uses the configs' own wiring (``work_dirs/<task>_demo``, trained
when missing, as ``tools/demo.py`` does).
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import json
import os
import os.path as osp
import platform
import re
import shlex
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field

from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

#: the primaries in the order of the paper's Table 1 (MVLPT's source is the next one)
PRIMARIES = ('ssv2', 'ava', 'thumos14', '50salads', 'imagenet_vid', 'youtube_vis')
#: methods in the order of the paper's Table 1, then the two ablations of DESIGN.md §2
METHODS = ('full', 'vpt_shallow', 'hps', 'mvlpt', 'dlm', 'vpt_middle', 'dlm_no_layer2')
PROMPT_METHODS = ('vpt_shallow', 'vpt_middle', 'mvlpt', 'dlm_no_layer2', 'dlm')
ABLATIONS = ('vpt_middle', 'dlm_no_layer2')  # DESIGN.md §2, not in the paper's Table 1
FIG3_METHODS = ('dlm', 'dlm_no_layer2')
LABELS = {
    'full': 'Full fine-tuning',
    'vpt_shallow': 'VPT-shallow',
    'hps': 'HPS',
    'mvlpt': 'MVLPT',
    'dlm': 'DLM-VMTL',
    'vpt_middle': 'VPT-middle',
    'dlm_no_layer2': 'DLM without layer 2',
}
#: held-out set -> (zero-shot config, primary whose DLM prompts it loads): Table 2
ZERO_SHOT = {
    'ucf101': ('ucf101_ssv2_prompts', 'ssv2'),
    'hmdb51': ('hmdb51_ssv2_prompts', 'ssv2'),
    'ava_kinetics': ('ava_kinetics_ava_prompts', 'ava'),
    'breakfast': ('breakfast_50salads_prompts', '50salads'),
    'gtea': ('gtea_50salads_prompts', '50salads'),
}
ZERO_SHOT_ROWS = {'original': 'Original (no prompts)', 'dlm': 'DLM-VMTL prompts'}
BUDGETS = {'full': 1.0, 'short': 0.5}  # schedule factor of the prompt-tuning and HPS runs


@dataclass(frozen=True)
class Metric:
    key: str  # in tools/test.py's metrics and MMEngine's scalars.json
    scale: float  # to percent
    label: str


_TOP1 = Metric('acc/top1', 100.0, 'top-1')
_AVA = Metric('mAP/overall', 100.0, 'frame mAP@0.5')
_F1 = Metric('f1@50', 1.0, 'F1@50')
METRICS = {
    'ssv2': _TOP1,
    'ava': _AVA,
    'thumos14': Metric('mAP', 1.0, 'mAP@0.3:0.7'),
    '50salads': _F1,
    'imagenet_vid': Metric('coco/bbox_mAP_50', 100.0, 'AP50'),
    'youtube_vis': Metric('youtube_vis/segm_mAP', 100.0, 'video AP'),
    'ucf101': _TOP1,
    'hmdb51': _TOP1,
    'ava_kinetics': _AVA,
    'breakfast': _F1,
    'gtea': _F1,
}
NAMES = {
    'ssv2': 'SSv2',
    'ava': 'AVA',
    'thumos14': 'THUMOS14',
    '50salads': '50Salads',
    'imagenet_vid': 'ImageNet VID',
    'youtube_vis': 'YouTube-VIS 2019',
    'ucf101': 'UCF101',
    'hmdb51': 'HMDB51',
    'ava_kinetics': 'AVA-Kinetics',
    'breakfast': 'Breakfast',
    'gtea': 'GTEA',
}
#: the paper's numbers (real data, ViT-B/ASFormer/TransVOD/DVIS), for the reference table
PAPER_TABLE1 = {
    'full': (75.2, 40.4, 67.8, 76.0, 90.1, 64.9),
    'vpt_shallow': (74.1, 38.9, 66.1, 74.3, 88.1, 62.7),
    'hps': (71.3, 36.9, 64.4, None, None, None),
    'mvlpt': (74.7, 39.5, 66.4, 73.9, 88.3, 62.3),
    'dlm': (76.7, 42.2, 68.6, 79.5, 91.0, 66.1),
}
PAPER_TRAINABLE = {'full': 100, 'vpt_shallow': 0.21, 'hps': 33.3, 'mvlpt': 0.21, 'dlm': 10.8}
PAPER_TABLE2 = {
    'original': (97.7, 85.1, 41.9, 53.7, 75.8),
    'dlm': (98.6, 86.9, 43.0, 56.5, 78.3),
}


# -- configs ------------------------------------------------------------------------------
def config_path(method: str, task: str) -> str:
    """The config of one Table 1 cell, relative to the repository root."""
    if method == 'full':
        return f'configs/tasks/{task}_demo.py'
    if method == 'dlm':
        return f'configs/dlm/{task}_aux5.py'
    return f'configs/baselines/{method}/{task}.py'


_CONFIGS: dict[str, Config] = {}


def load_config(path: str) -> Config:
    """The config at ``path`` (repository-relative), read once; no package is imported."""
    if path not in _CONFIGS:
        _CONFIGS[path] = Config.fromfile(osp.join(ROOT, path), import_custom_modules=False)
    return _CONFIGS[path]


def backbone_slots(node, path: str = 'model') -> list[tuple[str, str]]:
    """``(option path, task)`` of every plugin that takes its frozen model from a single-task
    config (``task_config``) and names no checkpoint of its own."""
    slots = []
    if isinstance(node, dict):
        task_config = node.get('task_config')
        if task_config and 'checkpoint' not in node:
            name = osp.splitext(osp.basename(task_config))[0]
            slots.append((path, name[: -len('_demo')] if name.endswith('_demo') else name))
        for key, value in node.items():
            slots += backbone_slots(value, f'{path}.{key}')
    return slots


def scaled_schedule(cfg: Config, factor: float = 1.0, max_epochs: int | None = None) -> dict:
    """``--cfg-options`` that shorten a run's schedule by ``factor`` (and cap it at
    ``max_epochs``): the loop length and every epoch/iteration count that depends on it
    (validation, checkpoints, scheduler ``begin``/``end``/``T_max``/``milestones``)."""
    loop = cfg.train_cfg
    by_epoch = 'max_epochs' in loop
    length = loop.max_epochs if by_epoch else loop.max_iters
    new = max(1, round(length * factor))
    if by_epoch and max_epochs is not None:
        new = min(new, max_epochs)
    if new == length:
        return {}
    ratio = new / length

    def scaled(value: int) -> int:
        return new if value >= length else max(1, round(value * ratio))

    key = 'max_epochs' if by_epoch else 'max_iters'
    options = {f'train_cfg.{key}': new}
    if 'val_begin' in loop:
        options['train_cfg.val_begin'] = min(scaled(loop.val_begin), new)
    if 'val_interval' in loop:
        options['train_cfg.val_interval'] = scaled(loop.val_interval)
    checkpoint = cfg.get('default_hooks', {}).get('checkpoint', {})
    if 'interval' in checkpoint and checkpoint.get('by_epoch', True) == by_epoch:
        options['default_hooks.checkpoint.interval'] = scaled(checkpoint.interval)
    schedulers = cfg.get('param_scheduler') or []
    if isinstance(schedulers, dict):
        schedulers = [schedulers]
    for index, sched in enumerate(schedulers):
        if sched.get('by_epoch', True) != by_epoch:
            continue
        prefix = f'param_scheduler.{index}'
        begin, end = sched.get('begin', 0), sched.get('end')
        new_begin = round(begin * ratio)
        new_end = None if end is None else max(new_begin + 1, scaled(end))
        if 'begin' in sched:
            options[f'{prefix}.begin'] = new_begin
        if new_end is not None:
            options[f'{prefix}.end'] = new_end
        if 'T_max' in sched:
            span = (end if end is not None else length) - begin
            new_span = (new_end if new_end is not None else new) - new_begin
            t_max = sched.T_max
            options[f'{prefix}.T_max'] = new_span if t_max == span else max(1, round(t_max * ratio))
        if 'milestones' in sched:
            options[f'{prefix}.milestones'] = [scaled(m) for m in sched.milestones]
    return options


def dense_validation(cfg: Config, options: dict, points: int = 6) -> dict:
    """Validate about ``points`` times during an epoch-based run (Fig. 3's curves)."""
    length = options.get('train_cfg.max_epochs', cfg.train_cfg.max_epochs)
    return {
        'train_cfg.val_begin': 1,
        'train_cfg.val_interval': max(1, length // points),
    }


def hps_blocker(config: str) -> str | None:
    """Why the HPS config cannot run with the installed plugins, or None.

    Hard parameter sharing needs each plugin to name its encoder parts
    (``TaskPlugin.encoder_parts``); the base class raises for plugins that do not.
    """
    import dlm_core  # noqa: F401  (registries)
    from dlm_core.registry import TASKS
    from dlm_core.tasks import TaskPlugin

    cfg = load_config(config)
    missing = []
    for plugin in cfg.model.tasks.values():
        scope = plugin.type.split('.')[0]
        importlib.import_module(scope)
        cls = TASKS.get(plugin.type)
        if cls is None or cls.encoder_parts is TaskPlugin.encoder_parts:
            missing.append(plugin.type)
    if missing:
        return (
            f'{", ".join(missing)} do not name their encoder parts '
            '(TaskPlugin.encoder_parts), which hard parameter sharing needs'
        )
    return None


# -- the plan -----------------------------------------------------------------------------
@dataclass
class Run:
    """One training and/or evaluation, in its own work dir."""

    method: str
    task: str
    seed: int | None
    config: str
    work_dir: str  # repository-relative or absolute
    model_options: dict = field(default_factory=dict)  # for train.py and test.py
    train_options: dict = field(default_factory=dict)  # for train.py only
    train: bool = True
    test: bool = True
    deps: list = field(default_factory=list)  # keys of the runs it needs
    own_work_dir: bool = True  # False: a standard single-task dir (its checkpoint is enough)

    @property
    def key(self) -> tuple:
        return (self.method, self.task, self.seed)

    @property
    def name(self) -> str:
        seed = '' if self.seed is None else f'/seed{self.seed}'
        return f'{self.method}/{self.task}{seed}'

    def path(self, *parts: str) -> str:
        return osp.join(ROOT, self.work_dir, *parts)

    @property
    def metrics_file(self) -> str:
        return self.path('test_metrics.json')

    def record(self) -> dict:
        try:
            with open(self.path('run.json')) as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return {}

    def update_record(self, **values) -> None:
        record = self.record()
        for key, value in values.items():
            if isinstance(record.get(key), list) and isinstance(value, list):
                record[key] = record[key] + value
            else:
                record[key] = value
        os.makedirs(self.path(), exist_ok=True)
        tmp = self.path('run.json.tmp')
        with open(tmp, 'w') as handle:
            json.dump(record, handle, indent=1)
        os.replace(tmp, self.path('run.json'))

    @property
    def trained(self) -> bool:
        if not self.train:
            return True
        if not self.own_work_dir:
            return checkpoint_file(self.path()) is not None
        return 'train_s' in self.record()

    @property
    def done(self) -> bool:
        if self.test:
            return osp.isfile(self.metrics_file)
        return self.trained


def checkpoint_file(work_dir: str) -> str | None:
    """The file MMEngine's ``last_checkpoint`` in ``work_dir`` names, if it exists."""
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        return None
    with open(pointer) as handle:
        path = handle.read().strip()
    if not osp.isabs(path):
        path = osp.join(ROOT, path)
    return path if osp.isfile(path) else None


def _options(values: dict) -> list[str]:
    return [f'{key}={_format(value)}' for key, value in values.items()]


def _format(value) -> str:
    if isinstance(value, (list, tuple)):
        return '[' + ','.join(_format(v) for v in value) + ']'
    return str(value)


@dataclass
class Plan:
    runs: dict = field(default_factory=dict)  # key -> Run, dependencies first
    notes: list = field(default_factory=list)  # what was left out, and why
    table1: list = field(default_factory=list)  # keys of Table 1's runs
    table2: list = field(default_factory=list)  # keys of Table 2's runs
    tuning: dict = field(default_factory=dict)  # task -> keys of its DLM variants (val)
    tuned: dict = field(default_factory=dict)  # task -> keys of the chosen variant's runs
    tuning_splits: dict = field(default_factory=dict)  # task -> (training, validation) files


class Planner:
    """Builds the ordered list of runs: Table 1's cells, what they need, then Table 2's."""

    def __init__(
        self,
        root: str = 'work_dirs/reproduce',
        backbones: str = 'reproduce',
        factor: float = 1.0,
        max_epochs: int | None = None,
        check_hps=hps_blocker,
    ):
        self.root = root
        self.backbones = backbones
        self.factor = factor
        self.max_epochs = max_epochs
        self.check_hps = check_hps
        self.plan = Plan()

    def work_dir(self, method: str, task: str, seed: int | None) -> str:
        parts = [self.root, method, task] + ([] if seed is None else [f'seed{seed}'])
        return osp.join(*parts)

    def add(self, run: Run) -> Run:
        existing = self.plan.runs.get(run.key)
        if existing is not None:
            existing.test = existing.test or run.test
            return existing
        self.plan.runs[run.key] = run
        return run

    # the frozen models a config loads
    def backbone(self, task: str) -> tuple:
        if self.backbones == 'reproduce':
            return self.cell('full', task, 0, test=False).key
        config = f'configs/tasks/{task}_demo.py'
        work_dir = load_config(config).get('work_dir') or f'work_dirs/{task}_demo'
        run = Run('backbone', task, None, config, work_dir, own_work_dir=False, test=False)
        return self.add(run).key

    def backbone_options(self, config: str) -> tuple[dict, list]:
        options, deps = {}, []
        for path, task in backbone_slots(load_config(config).model.to_dict()):
            deps.append(self.backbone(task))
            if self.backbones == 'reproduce':
                options[f'{path}.checkpoint'] = self.work_dir('full', task, 0)
        return options, deps

    def cell(self, method: str, task: str, seed: int, test: bool = True) -> Run:
        """The run of one Table 1 cell (and whatever it needs, added before it)."""
        existing = self.plan.runs.get((method, task, seed))
        if existing is not None:
            existing.test = existing.test or test
            return existing
        config = config_path(method, task)
        cfg = load_config(config)
        model_options, deps = self.backbone_options(config)
        train_options = {'randomness.seed': seed}
        if method == 'mvlpt':
            source = PRIMARIES[(PRIMARIES.index(task) + 1) % len(PRIMARIES)]
            source_run = self.cell('vpt_shallow', source, seed, test=False)
            deps.append(source_run.key)
            model_options['model.mapper.init_file'] = osp.join(
                source_run.work_dir, 'prompts_latest.pth'
            )
        if method in PROMPT_METHODS or method == 'hps':
            train_options.update(scaled_schedule(cfg, self.factor, self.max_epochs))
        if method in FIG3_METHODS and 'max_epochs' in cfg.train_cfg:
            train_options.update(dense_validation(cfg, train_options))
        run = Run(
            method,
            task,
            seed,
            config,
            self.work_dir(method, task, seed),
            model_options,
            train_options,
            test=test,
            deps=deps,
        )
        return self.add(run)

    def zero_shot(self, held_out: str, seed: int | None) -> Run:
        """Table 2: the held-out model without prompts (``seed=None``) or with the prompts
        of the DLM run of its primary at ``seed``."""
        name, primary = ZERO_SHOT[held_out]
        config = f'configs/zero_shot/{name}.py'
        model_options, deps = self.backbone_options(config)
        if seed is None:
            model_options['model.prompt_file'] = None
            work_dir = osp.join(self.root, 'zero_shot', held_out, 'original')
            method = 'zero_shot_original'
        else:
            dlm = self.cell('dlm', primary, seed, test=False)
            deps.append(dlm.key)
            model_options['model.prompt_file'] = osp.join(dlm.work_dir, 'prompts_latest.pth')
            work_dir = osp.join(self.root, 'zero_shot', held_out, f'seed{seed}')
            method = 'zero_shot_dlm'
        run = Run(method, held_out, seed, config, work_dir, model_options, train=False, deps=deps)
        return self.add(run)

    def build(self, primaries, methods, seeds, zero_shot=True, ablation_seeds=None) -> Plan:
        """``ablation_seeds`` (default: ``seeds``) are the seeds of VPT-middle and DLM
        without layer 2, the two runs that are not in the paper's Table 1."""
        ablation_seeds = seeds if ablation_seeds is None else ablation_seeds
        hps_notes = {}
        for seed in dict.fromkeys([*seeds, *ablation_seeds]):
            for method in METHODS:
                if method not in methods:
                    continue
                if seed not in (ablation_seeds if method in ABLATIONS else seeds):
                    continue
                for task in primaries:
                    config = config_path(method, task)
                    if not osp.isfile(osp.join(ROOT, config)):
                        note = f'{LABELS[method]} on {NAMES[task]}: no config {config}'
                        if note not in self.plan.notes:
                            self.plan.notes.append(note)
                        continue
                    if method == 'hps':
                        if config not in hps_notes:
                            hps_notes[config] = self.check_hps(config)
                        if hps_notes[config]:
                            note = f'HPS on {NAMES[task]}: not run, {hps_notes[config]}'
                            if note not in self.plan.notes:
                                self.plan.notes.append(note)
                            continue
                    run = self.cell(method, task, seed)
                    self.plan.table1.append(run.key)
            if zero_shot and 'dlm' in methods:
                for held_out, (_, primary) in ZERO_SHOT.items():
                    if primary not in primaries or ('dlm', primary, seed) not in self.plan.runs:
                        continue
                    if ('zero_shot_original', held_out, None) not in self.plan.runs:
                        self.plan.table2.append(self.zero_shot(held_out, None).key)
                    self.plan.table2.append(self.zero_shot(held_out, seed).key)
        return self.plan


# -- tuning on a validation split ---------------------------------------------------------
#: the primaries whose DLM settings are searched: where DLM trails most (SSv2) and the
#: cheapest one (50Salads), about a minute and half a minute a run
TUNE_TASKS = ('ssv2', '50salads')
#: every TUNE_VAL_EVERY-th line of the training annotation file (sorted) is validation
TUNE_VAL_EVERY = 4
#: encoder layers of the demo models (``TaskPlugin.num_layers``): where taps and prompts go
DEMO_LAYERS = {
    'ssv2': 4,
    'ava': 4,
    'thumos14': 4,
    '50salads': 6,
    'imagenet_vid': 4,
    'youtube_vis': 6,
}


def tune_variants(task: str) -> dict:
    """``{name: (what it changes against Table 1's DLM, --cfg-options, schedule factor)}``
    for the DLM run with primary ``task``; ``default`` is Table 1's setting."""
    auxiliaries = [t for t in DEMO_LAYERS if t != task]
    layers = DEMO_LAYERS[task]
    lr = load_config(config_path('dlm', task)).optim_wrapper.optimizer.lr
    variants = {'default': ("Table 1's setting", {}, 1.0)}
    for factor in (0.3, 3.0, 10.0):
        value = float(f'{lr * factor:.1g}')
        variants['lr' + f'{value:.0e}'.replace('e-0', 'e-')] = (
            f'learning rate {value:g} (default {lr:g})',
            {'optim_wrapper.optimizer.lr': value},
            1.0,
        )
    for prompts in (4, 16):
        variants[f'prompts{prompts}'] = (
            f'{prompts} prompts per auxiliary (default 8)',
            {'model.mapper.num_prompts': prompts},
            1.0,
        )
    variants['tap_early'] = (
        'auxiliaries tapped after their first layer (default: the middle one)',
        {f'model.auxiliaries.{t}.tap_layer': 1 for t in auxiliaries},
        1.0,
    )
    variants['tap_late'] = (
        'auxiliaries tapped before their last layer',
        {f'model.auxiliaries.{t}.tap_layer': DEMO_LAYERS[t] - 1 for t in auxiliaries},
        1.0,
    )
    for name, layer in (('prompt_early', 1), ('prompt_late', layers - 1)):
        variants[name] = (
            f"prompts join the primary's layer {layer} of {layers} (default {layers // 2})",
            {'model.primary.prompt_layer': layer},
            1.0,
        )
    variants['schedule_x2'] = ('twice the training schedule', {}, 2.0)
    return variants


def _training_annotations(task: str) -> str:
    """The training split's annotation file of ``task`` (absolute)."""
    dataset = load_config(config_path('full', task)).train_dataloader.dataset
    return osp.join(ROOT, dataset.get('data_root') or '', dataset.ann_file)


def tuning_split_paths(root: str, task: str) -> tuple[str, str]:
    """Where the tuning's training and validation annotation files of ``task`` go."""
    extension = osp.splitext(_training_annotations(task))[1]
    splits = osp.join(ROOT, root, 'tune', 'splits', task)
    return osp.join(splits, f'train{extension}'), osp.join(splits, f'val{extension}')


def write_tuning_splits(root: str, task: str) -> tuple[str, str]:
    """Split ``task``'s training annotation file (one sample a line) into training and
    validation files under ``<root>/tune/splits/<task>``; the test split is never read."""
    with open(_training_annotations(task)) as handle:
        lines = sorted(line.strip() for line in handle if line.strip())
    val = lines[TUNE_VAL_EVERY - 1 :: TUNE_VAL_EVERY]
    held_out = set(val)
    paths = tuning_split_paths(root, task)
    os.makedirs(osp.dirname(paths[0]), exist_ok=True)
    for path, chosen in zip(paths, ([v for v in lines if v not in held_out], val)):
        with open(path, 'w') as handle:
            handle.write(''.join(f'{line}\n' for line in chosen))
    return paths


class TuningPlanner:
    """The runs of the page's "what was tried" section for one primary: the primary
    fine-tuned on the training split minus a validation split, DLM with each of
    ``tune_variants`` on top of it (validated on that split), then the variant that
    validated best trained and tested like Table 1's DLM."""

    def __init__(self, planner: Planner, task: str):
        self.planner = planner
        self.root = planner.root
        self.task = task
        self.variants = tune_variants(task)

    def split_options(self) -> dict:
        train, val = tuning_split_paths(self.root, self.task)
        return {
            'train_dataloader.dataset.ann_file': train,
            'val_dataloader.dataset.ann_file': val,
            'test_dataloader.dataset.ann_file': val,
        }

    def add_search(self, seed: int = 0) -> list:
        """The base model and one DLM run per variant; returns the variants' keys."""
        planner, task = self.planner, self.task
        base = Run(
            'tune_full',
            task,
            seed,
            config_path('full', task),
            osp.join(self.root, 'tune', 'full', task, f'seed{seed}'),
            self.split_options(),
            {'randomness.seed': seed},
        )
        planner.add(base)
        keys = [
            planner.add(self.dlm_run(name, seed, f'tune_{name}', base)).key
            for name in self.variants
        ]
        planner.plan.tuning[task] = keys
        planner.plan.tuning_splits[task] = tuning_split_paths(self.root, task)
        return keys

    def dlm_run(self, variant: str, seed: int, method: str, base: Run | None) -> Run:
        """DLM with ``variant``: on the tuning splits over ``base`` when given, else wired
        like Table 1's DLM (test split)."""
        task = self.task
        config = config_path('dlm', task)
        cfg = load_config(config)
        model_options, deps = self.planner.backbone_options(config)
        _, options, factor = self.variants[variant]
        train_options = {'randomness.seed': seed}
        train_options.update(
            scaled_schedule(cfg, self.planner.factor * factor, self.planner.max_epochs)
        )
        model_options.update(options)  # test.py must build the same model
        if base is None:
            work_dir = osp.join(self.root, method, task, f'seed{seed}')
        else:
            model_options['model.primary.checkpoint'] = base.work_dir
            model_options.update(self.split_options())
            deps.append(base.key)
            work_dir = osp.join(self.root, 'tune', f'dlm_{variant}', task, f'seed{seed}')
        return Run(method, task, seed, config, work_dir, model_options, train_options, deps=deps)

    def add_tuned(self, variant: str, seeds) -> list:
        """The chosen variant on the test split, one run per seed (Table 1's wiring)."""
        keys = [
            self.planner.add(self.dlm_run(variant, seed, 'dlm_tuned', None)).key for seed in seeds
        ]
        self.planner.plan.tuned[self.task] = keys
        return keys


def best_variant(plan: Plan, task: str) -> tuple[str | None, dict]:
    """The variant with the highest validation metric on ``task`` (Table 1's setting on a
    tie), and every variant's value; None while a variant has no metrics yet."""
    metric = METRICS[task]
    values = {}
    keys = plan.tuning.get(task, [])
    for key in keys:
        run = plan.runs[key]
        metrics = _metrics(run, metric, [])
        if metrics is not None:
            values[run.method[len('tune_') :]] = float(metrics[metric.key]) * metric.scale
    if not keys or len(values) != len(keys):
        return None, values
    best = max(values, key=lambda name: (values[name], name == 'default'))
    return best, values


# -- commands -----------------------------------------------------------------------------
def checkpoint_required() -> bool:
    """Whether tools/test.py still requires its CHECKPOINT argument (zero-shot configs
    evaluate a model that loads everything at build and have none)."""
    spec = importlib.util.spec_from_file_location('_test_tool', osp.join(ROOT, 'tools/test.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        module.parse_args(['config.py'])
    except SystemExit:
        return True
    return False


def train_command(run: Run, resume: bool) -> list[str]:
    command = ['tools/train.py', run.config]
    if not run.own_work_dir:
        return command
    command += ['--work-dir', run.work_dir]
    if resume:
        command.append('--resume')
    options = {**run.model_options, **run.train_options}
    return command + (['--cfg-options', *_options(options)] if options else [])


def eval_command(run: Run, checkpoint: str | None) -> list[str]:
    command = ['tools/test.py', run.config]
    if checkpoint is not None:
        command.append(checkpoint)
    command += [
        '--work-dir',
        osp.join(run.work_dir, 'test'),
        '--metrics-json',
        osp.join(run.work_dir, 'test_metrics.json'),
    ]
    if run.model_options:
        command += ['--cfg-options', *_options(run.model_options)]
    return command


def eval_checkpoint(run: Run, plan: Plan, needs_checkpoint, dry_run: bool = False):
    """The checkpoint tools/test.py evaluates: the run's own last checkpoint; for an
    evaluation-only run nothing, or (while tools/test.py requires one) the checkpoint of
    the model it prompts, which its build has already loaded."""
    if run.train:
        found = checkpoint_file(run.path())
        return found or (f'<{run.work_dir}/last_checkpoint>' if dry_run else None)
    if not needs_checkpoint():
        return None
    backbone = plan.runs[run.deps[0]]
    found = checkpoint_file(backbone.path())
    return found or (f'<{backbone.work_dir}/last_checkpoint>' if dry_run else None)


def call(command: list[str]) -> int:
    """Run a tool of this repository with its output streamed."""
    print('$ python', shlex.join(command), flush=True)
    env = dict(os.environ)
    env.setdefault('OMP_NUM_THREADS', '1')  # small shared CPUs; configs cap torch threads too
    return subprocess.call([sys.executable, *command], cwd=ROOT, env=env)


def execute(plan: Plan, dry_run: bool = False, runner=None, needs_checkpoint=None) -> list:
    """Run every run that is not done, dependencies first; returns the failed runs' names."""
    runner = runner or call
    needs_checkpoint = needs_checkpoint or _cached(checkpoint_required)
    failed = set()
    total = len(plan.runs)
    for index, run in enumerate(plan.runs.values(), start=1):
        tag = f'[{index}/{total}] {run.name}'
        if run.done:
            print(f'{tag}: done, kept', flush=True)
            recorded = run.record().get('train_options') if run.own_work_dir else None
            if recorded is not None and recorded != _options(run.train_options):
                print(
                    f'{tag}: warning: trained with {recorded}, the plan now says '
                    f'{_options(run.train_options)}; delete {run.work_dir} to redo it',
                    flush=True,
                )
            continue
        blocked = [d for d in run.deps if not plan.runs[d].trained]
        if blocked and not dry_run:
            names = ', '.join(plan.runs[d].name for d in blocked)
            print(f'{tag}: skipped, it needs {names}', flush=True)
            failed.add(run.key)
            continue
        if run.train and not run.trained:
            resume = run.own_work_dir and checkpoint_file(run.path()) is not None
            command = train_command(run, resume)
            print(f'{tag}: {"resume" if resume else "train"}', flush=True)
            if dry_run:
                print('$ python', shlex.join(command))
            else:
                start = time.time()
                code = runner(command)
                seconds = time.time() - start
                if code:
                    print(f'{tag}: training failed (exit {code})', flush=True)
                    run.update_record(failed_train_attempts_s=[seconds])
                    failed.add(run.key)
                    continue
                if run.own_work_dir:
                    attempts = run.record().get('failed_train_attempts_s', [])
                    run.update_record(
                        train_s=seconds + sum(attempts),
                        train_command=['python', *command],
                        train_options=_options(run.train_options),
                    )
        if run.test:
            checkpoint = eval_checkpoint(run, plan, needs_checkpoint, dry_run)
            command = eval_command(run, checkpoint)
            print(f'{tag}: test', flush=True)
            if dry_run:
                print('$ python', shlex.join(command))
                continue
            start = time.time()
            code = runner(command)
            if code or not osp.isfile(run.metrics_file):
                print(f'{tag}: test failed (exit {code})', flush=True)
                failed.add(run.key)
                continue
            run.update_record(test_s=time.time() - start, test_command=['python', *command])
    return [run.name for run in plan.runs.values() if run.key in failed]


def _cached(function):
    cache = []

    def wrapper():
        if not cache:
            cache.append(function())
        return cache[0]

    return wrapper


# -- results ------------------------------------------------------------------------------
def read_scalars(work_dir: str) -> list[dict]:
    """MMEngine's scalars of every training session of a run, oldest first."""
    entries = []
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as handle:
            entries += [json.loads(line) for line in handle if line.strip()]
    return entries


def curves(entries: list[dict], metric: Metric) -> dict:
    """Validation metric (percent) and training loss against the training iteration.

    Training entries carry ``iter``; validation entries carry ``step``, which an
    epoch-based loop counts in epochs: those become the last iteration of that epoch.
    A resumed run's later entries replace earlier ones at the same iteration.
    """
    train = [e for e in entries if 'loss' in e]
    epoch_end: dict[int, int] = {}
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
        if epoch_end:
            step = epoch_end.get(step, round(step * per_epoch))
        val[step] = float(entry[metric.key]) * metric.scale
    return dict(val=sorted(val.items()), loss=sorted(loss.items()))


_TRAINABLE = re.compile(r'trainable [\d,]+ of [\d,]+ .*?= ([\d.]+) %')


def trainable_percent(run: Run) -> float | None:
    """The run's trained share of its task models' parameters: 100 for full fine-tuning,
    else what its prompt file records, else what its training log says (HPS)."""
    if run.method == 'full':
        return 100.0
    prompt_file = run.path('prompts_latest.pth')
    if osp.isfile(prompt_file):
        from dlm_core.prompt_io import load_prompt_file

        value = load_prompt_file(prompt_file)['meta'].get('trainable_percent')
        if value is not None:
            return float(value)
    for log in sorted(glob.glob(run.path('*', '*.log')), reverse=True):
        with open(log) as handle:
            match = _TRAINABLE.search(handle.read())
        if match:
            return float(match.group(1))
    return None


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as handle:
            for line in handle:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    import torch

    return dict(
        cpu=cpu,
        cores=os.cpu_count(),
        torch=torch.__version__,
        python=platform.python_version(),
        system=platform.platform(),
    )


@dataclass
class Results:
    """What the page shows, read off the runs' files."""

    primaries: list
    methods: list
    seeds: list
    table1: dict = field(default_factory=dict)  # (method, task) -> [value per seed]
    trainable: dict = field(default_factory=dict)  # (method, task) -> percent
    table2: dict = field(default_factory=dict)  # (row, held-out) -> [values]
    curves: dict = field(default_factory=dict)  # (method, task, seed) -> curves()
    runs: list = field(default_factory=list)  # per run: name, seconds, commands
    notes: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    command: str = ''
    machine: dict = field(default_factory=dict)
    wall_s: float | None = None
    options: str = ''
    ablation_seeds: list | None = None  # when they differ from ``seeds``
    # per searched primary: variant -> validation metric; the variant that validated best;
    # its test metric per seed; (training, validation) sample counts; the re-fine-tuned
    # primary alone on the validation split
    tuning: dict = field(default_factory=dict)
    tuned_variant: dict = field(default_factory=dict)
    tuned: dict = field(default_factory=dict)
    tuning_split: dict = field(default_factory=dict)
    tuning_base: dict = field(default_factory=dict)


def collect(plan: Plan, primaries, methods, seeds) -> Results:
    results = Results(list(primaries), list(methods), list(seeds), notes=list(plan.notes))
    for key in plan.table1:
        run = plan.runs[key]
        metric = METRICS[run.task]
        metrics = _metrics(run, metric, results.notes)
        if metrics is None:
            continue
        results.table1.setdefault((run.method, run.task), []).append(
            float(metrics[metric.key]) * metric.scale
        )
        percent = trainable_percent(run)
        if percent is not None:
            results.trainable[(run.method, run.task)] = percent
        if run.method in FIG3_METHODS:
            results.curves[run.key] = curves(read_scalars(run.path()), metric)
    for key in plan.table2:
        run = plan.runs[key]
        metric = METRICS[run.task]
        metrics = _metrics(run, metric, results.notes)
        if metrics is None:
            continue
        row = 'original' if run.seed is None else 'dlm'
        results.table2.setdefault((row, run.task), []).append(
            float(metrics[metric.key]) * metric.scale
        )
    for task in plan.tuning:
        collect_tuning(plan, task, results)
    for run in plan.runs.values():
        record = run.record() if run.own_work_dir else {}
        if record:
            results.runs.append(
                dict(
                    name=run.name,
                    train_s=record.get('train_s'),
                    test_s=record.get('test_s'),
                    commands=[
                        shlex.join(record[k])
                        for k in ('train_command', 'test_command')
                        if k in record
                    ],
                )
            )
    return results


def collect_tuning(plan: Plan, task: str, results: Results) -> None:
    metric = METRICS[task]
    results.tuned_variant[task], results.tuning[task] = best_variant(plan, task)
    base = plan.runs.get(('tune_full', task, 0))
    metrics = _metrics(base, metric, []) if base is not None else None
    if metrics is not None:
        results.tuning_base[task] = float(metrics[metric.key]) * metric.scale
    counts = []
    for path in plan.tuning_splits.get(task, ()):
        if osp.isfile(path):
            with open(path) as handle:
                counts.append(sum(1 for line in handle if line.strip()))
    if len(counts) == 2:
        results.tuning_split[task] = tuple(counts)
    for key in plan.tuned.get(task, []):
        metrics = _metrics(plan.runs[key], metric, results.notes)
        if metrics is not None:
            results.tuned.setdefault(task, []).append(float(metrics[metric.key]) * metric.scale)


def _metrics(run: Run, metric: Metric, notes: list) -> dict | None:
    """The run's test metrics, if they hold the metric the tables show (else a note)."""
    try:
        with open(run.metrics_file) as handle:
            metrics = json.load(handle)
    except (OSError, ValueError):
        return None
    if metric.key not in metrics:
        notes.append(f'{run.name}: its metrics have no {metric.key!r} ({sorted(metrics)})')
        return None
    return metrics


def mean_spread(values: list[float]) -> tuple[float, float | None]:
    """Mean and sample standard deviation (None for one value)."""
    mean = statistics.fmean(values)
    return mean, (statistics.stdev(values) if len(values) > 1 else None)


def format_cell(values: list[float] | None, bold: bool = False) -> str:
    if not values:
        return '–'
    mean, spread = mean_spread(values)
    text = f'{mean:.2f}' if spread is None else f'{mean:.2f} ± {spread:.2f}'
    return f'**{text}**' if bold else text


def percent_label(values: list[float]) -> str:
    if not values:
        return ''
    low, high = min(values), max(values)
    if f'{low:.2f}' == f'{high:.2f}':
        return f' ({low:.2f} %)'
    return f' ({low:.2f}–{high:.2f} %)'


def count_sentence(
    claim: str, a: dict, b: dict, keys, unit: str, spreads=None, lower: bool = False
) -> tuple:
    """ "<claim> on k of n <unit>", counting the keys where ``a`` is above ``b`` (below with
    ``lower``), naming those where it is not and, with ``spreads`` (key -> largest seed
    spread), those whose difference is within it. Returns the sentence ('' when nothing
    compares), k and n."""
    shared = [k for k in keys if k in a and k in b]
    if not shared:
        return '', 0, 0
    won = [k for k in shared if (a[k] < b[k] if lower else a[k] > b[k])]
    text = f'{claim} on {len(won)} of {len(shared)} {unit}'
    lost = [k for k in shared if k not in won]
    if lost:
        text += (
            ' (not on '
            + ', '.join(f'{NAMES.get(k, k)}: {a[k]:.2f} vs {b[k]:.2f}' for k in lost)
            + ')'
        )
    close = [k for k in shared if spreads and abs(a[k] - b[k]) <= (spreads.get(k) or 0)]
    if close:
        text += '; the difference is within the seed spread on ' + ', '.join(
            NAMES.get(k, k) for k in close
        )
    return text, len(won), len(shared)


IN_TEXT = {
    'full': 'full fine-tuning',
    'vpt_shallow': 'VPT-shallow',
    'hps': 'HPS',
    'mvlpt': 'MVLPT',
    'vpt_middle': 'VPT-middle',
    'dlm_no_layer2': 'DLM without layer 2',
}
#: on how many tasks the paper's DLM beats each baseline (Table 1)
PAPER_WINS = {'full': 6, 'vpt_shallow': 6, 'hps': 3, 'mvlpt': 6}


def _means(table: dict, row: str) -> dict:
    return {t: mean_spread(v)[0] for (r, t), v in table.items() if r == row}


def _spreads(table: dict, *rows: str) -> dict:
    """Per task, the largest seed spread among ``rows``."""
    spreads = {}
    for (r, t), values in table.items():
        if r in rows:
            spread = mean_spread(values)[1] or 0.0
            spreads[t] = max(spreads.get(t, 0.0), spread)
    return spreads


def ordering_sentences(results: Results) -> list[str]:
    """Where the paper's Table 1 ordering holds on these runs (from the means)."""
    tasks, table = results.primaries, results.table1
    dlm = _means(table, 'dlm')
    sentences, broken = [], []
    for other, name in IN_TEXT.items():
        text, won, count = count_sentence(
            f'DLM-VMTL beats {name}',
            dlm,
            _means(table, other),
            tasks,
            'tasks',
            _spreads(table, 'dlm', other),
        )
        if not count:
            continue
        if other in PAPER_WINS:
            text += f' (paper: {PAPER_WINS[other]} of {PAPER_WINS[other]})'
        sentences.append(text + '.')
        if won < count:
            broken.append(name)
    text, _, count = count_sentence(
        'Full fine-tuning beats VPT-shallow',
        _means(table, 'full'),
        _means(table, 'vpt_shallow'),
        tasks,
        'tasks',
        _spreads(table, 'full', 'vpt_shallow'),
    )
    if count:
        sentences.append(text + ' (paper: 6 of 6).')
    if broken:
        sentences.insert(
            0,
            "The paper's ordering does not hold everywhere here: DLM-VMTL is not ahead of "
            + ', '.join(broken)
            + ' on every task.',
        )
    elif dlm and len(sentences) > int(count > 0):
        sentences.insert(
            0, "The paper's ordering holds: DLM-VMTL is ahead of every baseline on every task."
        )
    return sentences


def zero_shot_sentence(results: Results) -> str:
    text, _, count = count_sentence(
        "DLM-VMTL's prompts beat the original model",
        _means(results.table2, 'dlm'),
        _means(results.table2, 'original'),
        list(ZERO_SHOT),
        'held-out sets',
        _spreads(results.table2, 'dlm'),
    )
    return text + ' (paper: 5 of 5).' if count else ''


def fig3_sentences(results: Results) -> list[str]:
    """Final validation metric, its mean over training (a convergence measure) and the
    final training loss, with against without layer 2 (means over seeds)."""
    table: dict = {}
    for (method, task, _seed), curve in results.curves.items():
        values = [v for _, v in curve['val']]
        if values:
            table.setdefault(('final', method), {}).setdefault(task, []).append(values[-1])
            table.setdefault(('area', method), {}).setdefault(task, []).append(
                statistics.fmean(values)
            )
        if curve['loss']:
            table.setdefault(('loss', method), {}).setdefault(task, []).append(curve['loss'][-1][1])

    def means(what: str, method: str) -> dict:
        return {t: statistics.fmean(v) for t, v in table.get((what, method), {}).items()}

    sentences = []
    for what, claim in (
        ('final', 'With layer 2 the final validation metric is higher'),
        ('area', 'With layer 2 the validation metric averaged over training is higher'),
        ('loss', 'With layer 2 the final training loss is lower'),
    ):
        a, b = means(what, 'dlm'), means(what, 'dlm_no_layer2')
        text, _, count = count_sentence(
            claim, a, b, results.primaries, 'primaries', lower=what == 'loss'
        )
        if count:
            sentences.append(text + '.')
    if sentences:
        sentences.append(
            'The paper reports a better final result and faster convergence with layer 2.'
        )
    return sentences


def plot_fig3(results: Results, path: str) -> bool:
    """Validation metric and training loss against iterations, DLM solid and DLM without
    layer 2 dashed, one line per seed; one row per primary. False when there is nothing."""
    tasks = [t for t in results.primaries if any(k[1] == t for k in results.curves)]
    if not tasks:
        return False
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(tasks), 2, figsize=(10, 2.6 * len(tasks)), squeeze=False)
    styles = {'dlm': ('tab:blue', '-'), 'dlm_no_layer2': ('tab:orange', '--')}
    for row, task in enumerate(tasks):
        for (method, t, seed), curve in sorted(results.curves.items(), key=str):
            if t != task:
                continue
            color, style = styles[method]
            label = f'{LABELS[method]} (seed {seed})'
            for col, name in enumerate(('val', 'loss')):
                if curve[name]:
                    x, y = zip(*curve[name])
                    marker = 'o' if name == 'val' else None
                    axes[row][col].plot(
                        x,
                        y,
                        linestyle=style,
                        color=color,
                        marker=marker,
                        ms=3,
                        label=label,
                        alpha=0.6 + 0.4 * (seed == min(results.seeds)),
                    )
        axes[row][0].set_ylabel(f'{NAMES[task]}\nval {METRICS[task].label}')
        axes[row][1].set_ylabel('training loss')
        for ax in axes[row]:
            ax.grid(alpha=0.3)
    axes[-1][0].set_xlabel('iteration')
    axes[-1][1].set_xlabel('iteration')
    axes[0][0].legend(fontsize=7)
    fig.suptitle('Fig. 3 on the demo benchmark: DLM with (solid) and without (dashed) layer 2')
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


#: what the page says about its own setup, beside the numbers
CAVEATS = (
    "VPT-shallow on 50Salads prepends its prompts (as extra keys) to ASFormer's first "
    'encoder block, whose attention window is a single frame: the prompts outnumber the '
    "frame's own key 8 to 1, so the untrained prompted model starts far worse than the "
    'frozen one (training loss 0.23 before, 2.54 after adding the prompts) and has to '
    'recover. VPT-middle, which prompts the middle block, separates this from the '
    'effect of the prompt depth.',
    'HPS shares one encoder between the two tasks whose demo encoders have the same '
    'architecture (the SSv2 and AVA ViTs); their patch size and layer scale differ, so '
    "the partner task's patch embedding and head start from scratch. It trains with plain "
    "AdamW: MMEngine's per-parameter options list a shared parameter twice.",
    'The demo test splits are small (SSv2: 200 clips; AVA: 10 videos; THUMOS14: 16; '
    '50Salads: 4; ImageNet VID: 16; YouTube-VIS: 24), so a difference within the seed '
    'spread says nothing.',
    'Every prompted run starts from the seed-0 full fine-tuning run of its primary, so '
    'full fine-tuning seed 0 and the prompted runs share their frozen model.',
)


def tuning_lines(results: Results) -> list[str]:
    """The "what was tried" section: the validation-split searches and their test results."""
    if not results.tuning:
        return []
    lines = [
        '## What was tried: DLM tuned on a validation split',
        '',
        f'Where DLM-VMTL trails, its settings were searched on {_names(results.tuning)}: on '
        'a validation split carved out of the training split (every '
        f'{TUNE_VAL_EVERY}th sample in name order), with the primary fine-tuned again on the '
        'remaining training samples; the test split was not read. One seed (0), one change '
        "at a time against Table 1's setting; the variant that validated best was then "
        "trained like Table 1's DLM-VMTL (both seeds) and tested.",
        '',
    ]
    for task in results.tuning:
        lines += _task_tuning_lines(results, task)
    return lines


def _names(tasks) -> str:
    names = [NAMES[t] for t in tasks]
    return names[0] if len(names) == 1 else ', '.join(names[:-1]) + ' and ' + names[-1]


def _task_tuning_lines(results: Results, task: str) -> list[str]:
    metric, name = METRICS[task], NAMES[task]
    values = results.tuning[task]
    split = results.tuning_split.get(task)
    title = f'### {name}' + (
        f' ({split[1]} of {sum(split)} training samples held out)' if split else ''
    )
    lines = [title, '', f'| Setting | Change | validation {metric.label} |', '|---|---|---|']
    top = max(values.values()) if values else None
    for variant, (change, _, _) in tune_variants(task).items():
        value = values.get(variant)
        cell = '–' if value is None else f'{value:.2f}'
        if value is not None and value == top:
            cell = f'**{cell}**'
        lines.append(f'| `{variant}` | {change} | {cell} |')
    base = results.tuning_base.get(task)
    if base is not None:
        lines.append(f'| no prompts | the re-fine-tuned {name} model alone | {base:.2f} |')
    lines.append('')
    best = results.tuned_variant.get(task)
    dlm = results.table1.get(('dlm', task))
    full = results.table1.get(('full', task))
    if best is None:
        lines.append('- The search is not complete.')
    elif best == 'default':
        lines.append(
            "- No change validated better than Table 1's setting, so Table 1's DLM-VMTL "
            f'row ({format_cell(dlm)}; full fine-tuning {format_cell(full)}) is also the '
            'tuned one.'
        )
    else:
        lines.append(
            f'- `{best}` validated best ({values[best]:.2f} against {values["default"]:.2f} '
            f"for Table 1's setting). Trained like Table 1's DLM-VMTL and tested: "
            f'{format_cell(results.tuned.get(task))} (Table 1: DLM-VMTL {format_cell(dlm)}, '
            f'full fine-tuning {format_cell(full)}).'
        )
    return lines + ['']


def render(results: Results, figure: str | None) -> str:
    """The results page (markdown)."""
    seeds = ', '.join(str(s) for s in results.seeds)
    if results.ablation_seeds and results.ablation_seeds != results.seeds:
        seeds += (
            ' (VPT-middle and DLM without layer 2: '
            + ', '.join(str(s) for s in results.ablation_seeds)
            + ')'
        )
    lines = [
        "# The paper's Tables 1–2 and Fig. 3 on the demo benchmark",
        '',
        'Generated by `tools/reproduce.py` from its runs; every number below is read from '
        "those runs' metric files. The demo benchmark is tiny (digit videos, toy-sized "
        'models, CPU): compare orderings with the paper, not values.',
        '',
        f'Cells: mean ± sample standard deviation over seeds {seeds} (one value: one seed). '
        'Trainable % in parentheses: trained parameters over the parameters of the task '
        'models the run holds (primary + five auxiliaries for DLM, the primary alone for '
        'VPT/MVLPT, both task models for HPS), over the primaries.',
        '',
        '## Table 1: primary tasks',
        '',
    ]
    tasks = results.primaries
    header = '| Method | ' + ' | '.join(f'{NAMES[t]} ({METRICS[t].label})' for t in tasks) + ' |'
    lines += [header, '|---' * (len(tasks) + 1) + '|']
    best = {}
    for task in tasks:
        scored = [(mean_spread(v)[0], m) for (m, t), v in results.table1.items() if t == task]
        if scored:
            best[task] = max(scored)[1]
    for method in METHODS:
        if method not in results.methods:
            continue
        percents = [
            results.trainable[(method, t)] for t in tasks if (method, t) in results.trainable
        ]
        label = LABELS[method] + percent_label(percents)
        cells = [format_cell(results.table1.get((method, t)), best.get(t) == method) for t in tasks]
        lines.append(f'| {label} | ' + ' | '.join(cells) + ' |')
    lines += ['', '**Bold**: best mean per column.', '']
    lines += [f'- {s}' for s in ordering_sentences(results)]
    lines += ['', 'Trainable % per run:', '']
    lines += ['| Method | ' + ' | '.join(NAMES[t] for t in tasks) + ' |']
    lines += ['|---' * (len(tasks) + 1) + '|']
    for method in METHODS:
        if method in results.methods:
            values = [results.trainable.get((method, t)) for t in tasks]
            lines.append(
                f'| {LABELS[method]} | '
                + ' | '.join('–' if v is None else f'{v:.2f}' for v in values)
                + ' |'
            )

    lines += ['', '## Table 2: zero-shot transfer', '']
    held = list(ZERO_SHOT)
    lines += [
        '| | '
        + ' | '.join(
            f'{NAMES[h]} ({METRICS[h].label}; prompts of {NAMES[ZERO_SHOT[h][1]]})' for h in held
        )
        + ' |',
        '|---' * (len(held) + 1) + '|',
    ]
    for row, label in ZERO_SHOT_ROWS.items():
        lines.append(
            f'| {label} | '
            + ' | '.join(format_cell(results.table2.get((row, h))) for h in held)
            + ' |'
        )
    lines += [
        '',
        "Original: the held-out set's model as trained, without prompts (one model, so no "
        'spread). DLM-VMTL: the same model with the prompts that the DLM run of the listed '
        'primary learned (one prompt file per seed).',
        '',
    ]
    sentence = zero_shot_sentence(results)
    if sentence:
        lines += [f'- {sentence}', '']

    lines += ['## Fig. 3: the second layer of DLM', '']
    if figure:
        lines += [f'![Fig. 3 on the demo benchmark]({figure})', '']
        lines += [f'- {s}' for s in fig3_sentences(results)]
    else:
        lines.append('No DLM training curves were recorded.')

    lines += ['']
    lines += tuning_lines(results)
    lines += ['## Caveats', '']
    lines += [f'- {caveat}' for caveat in CAVEATS]
    lines += ['', '## How these numbers were made', '']
    lines += [f'- Command: `{results.command}`' if results.command else '- Command: –']
    if results.options:
        lines.append(f'- Options: {results.options}')
    if results.machine:
        m = results.machine
        lines.append(
            f'- Machine: {m.get("cpu")}, {m.get("cores")} cores; torch {m.get("torch")}, '
            f'Python {m.get("python")} ({m.get("system")})'
        )
    total = sum((r['train_s'] or 0) + (r['test_s'] or 0) for r in results.runs)
    if results.runs:
        lines.append(
            f'- Time: {total / 60:.1f} min of training and testing over {len(results.runs)} '
            'runs (all sessions)'
            + (
                f'; this session {results.wall_s / 60:.1f} min wall time'
                if results.wall_s is not None
                else ''
            )
        )
    for note in results.notes:
        lines.append(f'- Not run: {note}')
    for name in results.failed:
        lines.append(f'- Failed or skipped: {name}')
    if results.runs:
        lines += ['', '<details><summary>Every run: time and exact commands</summary>', '']
        for run in results.runs:
            times = ', '.join(
                f'{k} {run[k + "_s"]:.0f} s' for k in ('train', 'test') if run[k + '_s']
            )
            lines.append(f'- `{run["name"]}` ({times or "–"})')
            lines += [f'  - `{c}`' for c in run['commands']]
        lines += ['', '</details>']

    lines += [
        '',
        "## The paper's numbers (real datasets, ViT-B / ASFormer / TransVOD / DVIS)",
        '',
        '| Method | ' + ' | '.join(NAMES[t] for t in PRIMARIES) + ' |',
        '|---' * (len(PRIMARIES) + 1) + '|',
    ]
    for method, values in PAPER_TABLE1.items():
        lines.append(
            f'| {LABELS[method]} ({PAPER_TRAINABLE[method]} %) | '
            + ' | '.join('–' if v is None else f'{v}' for v in values)
            + ' |'
        )
    lines += ['', '| Zero-shot | ' + ' | '.join(NAMES[h] for h in ZERO_SHOT) + ' |']
    lines += ['|---' * (len(ZERO_SHOT) + 1) + '|']
    for row, values in PAPER_TABLE2.items():
        lines.append(f'| {ZERO_SHOT_ROWS[row]} | ' + ' | '.join(str(v) for v in values) + ' |')
    return '\n'.join(lines) + '\n'


def write_report(results: Results, markdown: str, figure: str) -> None:
    has_figure = plot_fig3(results, figure)
    relative = osp.relpath(figure, osp.dirname(osp.abspath(markdown))) if has_figure else None
    os.makedirs(osp.dirname(osp.abspath(markdown)), exist_ok=True)
    with open(markdown, 'w') as handle:
        handle.write(render(results, relative))
    print(f'wrote {markdown}' + (f' and {figure}' if has_figure else ''), flush=True)


# -- main ---------------------------------------------------------------------------------
def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Reproduce Tables 1-2 and Fig. 3 (demo)')
    parser.add_argument('--primaries', nargs='+', default=list(PRIMARIES), choices=PRIMARIES)
    parser.add_argument('--methods', nargs='+', default=list(METHODS), choices=METHODS)
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1])
    parser.add_argument(
        '--ablation-seeds',
        nargs='+',
        type=int,
        help='seeds of VPT-middle and DLM without layer 2 (default: --seeds)',
    )
    parser.add_argument(
        '--budget',
        choices=sorted(BUDGETS),
        default='full',
        help="schedule of the prompt-tuning and HPS runs: the configs' (full) or half (short)",
    )
    parser.add_argument(
        '--max-epochs', type=int, help='cap the epochs of the prompt-tuning runs (smoke tests)'
    )
    parser.add_argument('--backbones', choices=('reproduce', 'standard'), default='reproduce')
    parser.add_argument('--no-zero-shot', action='store_true', help='leave out Table 2')
    parser.add_argument(
        '--no-tune', action='store_true', help='leave out the validation-split search of DLM'
    )
    parser.add_argument('--root', default='work_dirs/reproduce', help='where the runs live')
    parser.add_argument('--report', default='docs/results.md')
    parser.add_argument('--figure', default='docs/fig3_layer2.png')
    parser.add_argument('--dry-run', action='store_true', help='print the commands only')
    parser.add_argument(
        '--report-only', action='store_true', help='write the page from the runs that exist'
    )
    parser.add_argument('--no-report', action='store_true', help='run, but write no page')
    return parser.parse_args(argv)


def run_tuned(plan: Plan, tuning: TuningPlanner, seeds, dry_run: bool, **execute_args) -> list:
    """Train and test the variant that validated best, as Table 1's DLM (nothing when
    that is Table 1's own setting); returns the failed runs' names."""
    task = NAMES[tuning.task]
    best, _ = best_variant(plan, tuning.task)
    if best is None:
        print(
            f'tuning {task}: the variant that validates best then runs on the test split, '
            'seeds ' + ', '.join(str(s) for s in seeds),
            flush=True,
        )
        return []
    if best == 'default':
        print(f"tuning {task}: Table 1's setting validated best; nothing more to run", flush=True)
        return []
    keys = tuning.add_tuned(best, seeds)
    print(f'tuning {task}: {best} validated best; trained and tested on the test split', flush=True)
    needed = set(keys) | {dep for key in keys for dep in plan.runs[key].deps}
    subplan = Plan(runs={k: r for k, r in plan.runs.items() if k in needed})
    return execute(subplan, dry_run=dry_run, **execute_args)


def main(argv=None) -> int:
    args = parse_args(argv)
    start = time.time()
    primaries = [t for t in PRIMARIES if t in args.primaries]
    methods = [m for m in METHODS if m in args.methods]
    seeds = list(dict.fromkeys(args.seeds))
    ablation_seeds = list(dict.fromkeys(args.ablation_seeds or seeds))
    planner = Planner(args.root, args.backbones, BUDGETS[args.budget], args.max_epochs)
    plan = planner.build(
        primaries, methods, seeds, zero_shot=not args.no_zero_shot, ablation_seeds=ablation_seeds
    )
    tunings = []
    if not args.no_tune and 'dlm' in methods:
        tunings = [TuningPlanner(planner, t) for t in TUNE_TASKS if t in primaries]
    for tuning in tunings:
        tuning.add_search()
    print(
        f'{len(plan.runs)} runs ({len(plan.table1)} Table 1 cells x seeds, '
        f'{len(plan.table2)} zero-shot evaluations'
        + (
            f', {sum(map(len, plan.tuning.values()))} DLM settings on validation splits'
            if tunings
            else ''
        )
        + f') under {args.root}',
        flush=True,
    )
    for note in plan.notes:
        print(f'not run: {note}', flush=True)
    failed = []
    if not args.report_only:
        if not args.dry_run:
            code = call(['tools/data/make_demo_data.py'])
            if code:
                print(f'demo data: failed (exit {code})', flush=True)
                return code
            for tuning in tunings:
                write_tuning_splits(args.root, tuning.task)
        failed = execute(plan, dry_run=args.dry_run)
        for tuning in tunings:
            failed += run_tuned(plan, tuning, seeds, args.dry_run)
    if args.dry_run or args.no_report:
        return 1 if failed else 0
    for tuning in tunings:  # --report-only: show what exists
        best, _ = best_variant(plan, tuning.task)
        if tuning.task not in plan.tuned and best not in (None, 'default'):
            tuning.add_tuned(best, seeds)
    results = collect(plan, primaries, methods, seeds)
    results.ablation_seeds = ablation_seeds
    results.failed = failed
    results.command = 'python tools/reproduce.py ' + shlex.join(
        argv if argv is not None else sys.argv[1:]
    )
    results.options = (
        f'budget {args.budget}'
        + (f', at most {args.max_epochs} epochs' if args.max_epochs else '')
        + f', backbones {args.backbones}, runs under {args.root}'
    )
    results.machine = machine()
    results.wall_s = time.time() - start
    write_report(results, osp.join(ROOT, args.report), osp.join(ROOT, args.figure))
    if failed:
        print('failed or skipped: ' + ', '.join(failed), flush=True)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())

"""The protocol every run follows: validation schedule, checkpoint rule, learning-rate grid,
seeds, and the presets (``quick``, ``full``).

One rule for every method: each run trains on its config's own schedule (no budget cut),
validates about ``VAL_POINTS`` times on the validation split, and the checkpoint tested is
the one with the best validation metric (MMEngine's ``CheckpointHook(save_best=...)``).
Every primary validates on the held-out split of its bench set (``dlm_bench.splits``);
where a task has no validation split apart from its test split (the models of the
held-out zero-shot sets), the run does not validate at all (the test split is read once
per run) and its last checkpoint is tested.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mmengine.config import Config

from .catalog import METHODS, PRIMARIES, PROMPT_METHODS

#: validation points per training curve (Fig. 3 asks for at least 10)
VAL_POINTS = 10
#: the learning rates searched on the validation split, the same for every prompt method
LR_GRID = (3e-4, 1e-3, 3e-3)


def lr_tag(lr: float) -> str:
    """``lr1e-3`` for 0.001: a work-dir name part."""
    return 'lr' + f'{lr:.0e}'.replace('e-0', 'e-').replace('e+0', 'e')


def loop_length(cfg: Config) -> tuple:
    """``(length, by_epoch)`` of the config's training loop."""
    loop = cfg.train_cfg
    if 'max_epochs' in loop:
        return loop.max_epochs, True
    return loop.max_iters, False


#: what a run of a schedule of fewer epochs than ``VAL_POINTS`` adds to validate inside its
#: epochs (``dlm.ValidationPointsHook``; the points are logged at their iteration)
POINTS_HOOK = 'default_hooks.validation_points'
POINTS_LOGGED_BY_ITER = 'default_hooks.logger.log_metric_by_epoch'


def validation_options(cfg: Config, metric_key: str, validates: bool) -> dict:
    """``--cfg-options`` for training: validate every ``length // VAL_POINTS`` epochs (or
    iterations) and keep the best checkpoint by ``metric_key``, a regular checkpoint at
    the same interval so an interrupted run resumes; without a validation split, no
    validation at all. A schedule of fewer epochs than ``VAL_POINTS`` validates
    ``VAL_POINTS`` times inside its epochs (``dlm.ValidationPointsHook``), so that every
    method's checkpoint is chosen among as many points, whatever its schedule's length."""
    length, by_epoch = loop_length(cfg)
    interval = max(1, length // VAL_POINTS)
    options = {
        'default_hooks.checkpoint.by_epoch': by_epoch,
        'default_hooks.checkpoint.interval': interval,
        'default_hooks.checkpoint.max_keep_ckpts': 1,
    }
    if not validates:
        options.update(
            {'train_cfg.val_begin': length + 1, 'default_hooks.checkpoint.save_best': None}
        )
        return options
    best = {
        'default_hooks.checkpoint.save_best': metric_key,
        'default_hooks.checkpoint.rule': 'greater',
    }
    if by_epoch and length < VAL_POINTS:
        options.update(
            {
                'train_cfg.val_begin': length + 1,  # the hook alone validates
                f'{POINTS_HOOK}.type': 'dlm.ValidationPointsHook',
                f'{POINTS_HOOK}.points': VAL_POINTS,
                POINTS_LOGGED_BY_ITER: False,
                **best,
            }
        )
        return options
    options.update({'train_cfg.val_begin': interval, 'train_cfg.val_interval': interval, **best})
    return options


def validates_by_iteration(train_options: dict) -> bool:
    """Whether a run trained with ``train_options`` logged its validation points at their
    iteration (``ValidationPointsHook``) rather than at their epoch."""
    return train_options.get(POINTS_LOGGED_BY_ITER) is False


def validation_points(cfg: Config) -> int:
    """How many validation points ``validation_options`` gives the config's schedule."""
    length, by_epoch = loop_length(cfg)
    if by_epoch and length < VAL_POINTS:
        return VAL_POINTS
    return length // max(1, length // VAL_POINTS)


@dataclass(frozen=True)
class Preset:
    """What one invocation plans. Seeds: ``full_seeds`` for full fine-tuning (and every
    single-task model), ``prompt_seeds`` for the prompt methods, ``other_seeds`` for HPS,
    the frozen-head row, the DLM variants and the knowledge controls."""

    primaries: tuple = PRIMARIES
    methods: tuple = METHODS
    prompt_seeds: tuple = (0, 1, 2, 3, 4)
    other_seeds: tuple = (0, 1, 2)
    lr_grid: tuple = LR_GRID
    zero_shot: bool = True
    controls: bool = True  # random auxiliaries, single-auxiliary and leave-one-out
    pretrained: bool = True  # single-task models from the shared bases (catalog)
    variants: bool = True  # DLM with the exact start, DLM static calibrated
    low_data: bool = True
    low_data_methods: tuple = ('full', 'vpt_middle', 'dlm', 'dlm_random_aux')
    notes: tuple = field(default_factory=tuple)

    @property
    def full_seeds(self) -> tuple:
        """Every seed a prompted run uses: the prompted run of seed k starts from the full
        fine-tuning run of seed k."""
        seeds = set(self.other_seeds)
        if any(m in PROMPT_METHODS for m in self.methods):
            seeds |= set(self.prompt_seeds)
        return tuple(sorted(seeds))

    def seeds_of(self, method: str) -> tuple:
        if method == 'full':
            return self.full_seeds
        return self.prompt_seeds if method in PROMPT_METHODS else self.other_seeds


FULL = Preset()
#: one primary, full fine-tuning against DLM, two seeds, the configs' learning rates
QUICK = Preset(
    primaries=('50salads',),
    methods=('full', 'dlm'),
    prompt_seeds=(0, 1),
    other_seeds=(0, 1),
    lr_grid=(),
    zero_shot=False,
    pretrained=False,
    variants=False,
    controls=False,
    low_data=False,
    notes=(
        'quick preset: the configs own learning rates, no grid search; the single-task '
        'models from scratch (no foundation run)',
    ),
)
PRESETS = {'full': FULL, 'quick': QUICK}


#: the parts of the protocol a preset can leave out (``scope``'s ``missing.parts``)
PARTS = ('zero_shot', 'controls', 'variants', 'low_data', 'pretrained')


def scope(preset) -> dict:
    """What this invocation covers against the full protocol (the page says what it
    leaves out, so a subset run is never read as the whole benchmark)."""
    full = PRESETS['full']
    missing = dict(
        primaries=[p for p in full.primaries if p not in preset.primaries],
        methods=[m for m in full.methods if m not in preset.methods],
        prompt_seeds=[s for s in full.prompt_seeds if s not in preset.prompt_seeds],
        other_seeds=[s for s in full.other_seeds if s not in preset.other_seeds],
        parts=[part for part in PARTS if getattr(full, part) and not getattr(preset, part)],
    )
    return dict(
        primaries=list(preset.primaries),
        methods=list(preset.methods),
        prompt_seeds=list(preset.prompt_seeds),
        other_seeds=list(preset.other_seeds),
        lr_grid=list(preset.lr_grid),
        missing={k: v for k, v in missing.items() if v},
    )

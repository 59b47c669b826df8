"""The runs of the benchmark, dependencies first.

A run is one ``tools/train.py`` (unless it only evaluates) and one ``tools/test.py`` per
inference mode, in its own work dir ``<root>/<name>``. What a run starts from is the file
``chosen.pth`` that the runner links in the work dir of the run it needs (the checkpoint
that validated best), and prompts come from ``prompts_chosen.pth`` (exported from that
checkpoint). Choices that depend on validation results (the learning rate of each prompt
method and primary) are read from the finished grid runs; until they exist, the runs that
need them are listed in ``Plan.pending`` and the planner is asked again after the grid ran.

Every run reads the bench preset of the demo sets (``splits.data_options``); every primary
validates on its held-out split (``splits.validation_options``), never on its test split.
"""

from __future__ import annotations

import os.path as osp

from mmengine.config import Config

from . import splits
from .catalog import (
    DLM_METHODS,
    METRICS,
    PRIMARIES,
    REPO,
    ZERO_SHOT,
    auxiliaries,
    backbone_slots,
    config_path,
    load_config,
)
from .protocol import FULL, Preset, validation_options
from .runs import CHOSEN, PROMPTS, Plan, Run, run_name
from .variants import calibration_config, calibration_length, random_aux_options, subset_config


class Planner:
    """Builds the plan of a preset; ``build()`` may be called again once runs finished."""

    def __init__(
        self,
        root: str = 'work_dirs/reproduce',
        preset: Preset = FULL,
        repo=REPO,
        data_root: str = splits.BENCH_ROOT,
        assume_grid: bool = False,
    ):
        self.root, self.preset, self.repo = root, preset, repo
        self.data_root = data_root  # the bench sets, relative to the repository or absolute
        # plan as if every grid had chosen the config's own rate: the size of the whole
        # protocol before any grid ran (the dry run's estimate); never for running
        self.assume_grid = assume_grid
        self.plan = Plan()

    # -- helpers --------------------------------------------------------------------------
    def add(self, run: Run) -> Run:
        existing = self.plan.runs.get(run.name)
        if existing is not None:
            existing.test = existing.test or run.test
            return existing
        self.plan.runs[run.name] = run
        return run

    def validation(self, task: str) -> str:
        return splits.validation_source(task)

    def data(self, task: str) -> dict:
        """The options that make a run of ``task`` read its bench set (train and test)."""
        return splits.data_options(task, self.data_root)

    def chosen(self, run: Run, what: str = CHOSEN) -> str:
        return osp.join(run.work_dir, what)

    def _train_options(self, cfg, task: str, seed: int, regime: str, lr) -> dict:
        validation = self.validation(task)
        key = METRICS[task].key
        options = {'randomness.seed': seed}
        if validation == 'carved':
            options.update(
                splits.split_options(
                    self.root_abs, task, regime == 'low_data', self.repo, self.data_root
                )
            )
        options.update(validation_options(cfg, key, validation != 'none'))
        if lr is not None:
            options['optim_wrapper.optimizer.lr'] = lr
        return options

    @property
    def root_abs(self) -> str:
        return osp.join(self.repo, self.root)

    # -- single-task models -----------------------------------------------------------------
    def full(self, task: str, seed: int, regime: str = 'full', test: bool = False) -> Run:
        """Full fine-tuning of ``task`` at ``seed``: a Table 1 row, and the frozen model
        that the prompted runs of that seed start from."""
        name = run_name('full', task, seed, regime=regime)
        if name in self.plan.runs:
            run = self.plan.runs[name]
            run.test = run.test or test
            return run
        config = config_path('full', task, self.preset.pretrained)
        cfg = load_config(config, self.repo)
        model_options, deps = self.data(task), []
        if cfg.get('foundation_checkpoint'):
            base = self.foundation()
            name16 = 'backbone_patch16.pth' if 'patch16' in cfg.foundation_checkpoint else None
            model_options = {
                **model_options,
                'model.backbone.init_cfg.checkpoint': self.chosen(base, name16 or 'backbone.pth'),
            }
            deps.append(base.name)
        run = Run(
            name,
            'full',
            task,
            seed,
            config,
            osp.join(self.root, name),
            model_options,
            self._train_options(cfg, task, seed, regime, None),
            test=test,
            deps=deps,
            regime=regime,
            train_head=True,
            validation=self.validation(task),
            repo=self.repo,
        )
        return self.add(run)

    def foundation(self) -> Run:
        """The foundation run (seed 0, once): the backbone every ViT recognizer of the
        bench fine-tunes from, written by the run as ``backbone.pth``."""
        name = 'foundation/seed0'
        if name not in self.plan.runs:
            self.add(
                Run(
                    name,
                    'foundation',
                    'foundation',
                    0,
                    config_path('foundation', ''),
                    osp.join(self.root, name),
                    {},
                    {'randomness.seed': 0},
                    test=False,
                    validation='none',
                    repo=self.repo,
                )  # fmt: skip
            )
        return self.plan.runs[name]

    def backbones(self, config: str, task: str, seed: int, regime: str, skip=()) -> tuple:
        """``(options, deps)`` wiring every frozen model of ``config``: the primary from
        the full fine-tuning run of the same seed (and regime), every other model from its
        seed-0 run."""
        options, deps = {}, []
        for path, slot_task in backbone_slots(load_config(config, self.repo).model.to_dict()):
            if any(path.startswith(prefix) for prefix in skip):
                continue
            own = slot_task == task
            source = self.full(slot_task, seed if own else 0, regime if own else 'full')
            options[f'{path}.checkpoint'] = self.chosen(source)
            deps.append(source.name)
        return options, deps

    # -- prompt methods ---------------------------------------------------------------------
    def lr_of(self, method: str, task: str) -> tuple:
        """``(ready, lr)``: the learning rate of ``method`` on ``task``: None (the
        config's) without a grid or a validation split; else the grid value whose seed-0
        run validated best, added to the plan as needed; ``ready`` False until known."""
        grid = self.preset.lr_grid
        if not grid or self.validation(task) == 'none':
            return True, None
        family = 'dlm' if method.startswith('dlm') and method != 'dlm_no_layer2' else method
        values = {}
        for lr in grid:
            run = self.prompt_run(family, task, 0, lr, stage='grid')
            if run is None:
                return False, None
            value = run.record().get('val_best')
            if value is not None:
                values[lr] = value
        default = load_config(config_path(family, task), self.repo).optim_wrapper.optimizer.lr
        if self.assume_grid:
            return True, min(grid, key=lambda lr: (abs(lr - default), lr))
        if len(values) < len(grid):
            self.plan.wait(f'{family}/{task}: learning rate (grid on validation)')
            return False, None
        return True, max(values, key=lambda lr: (values[lr], -abs(lr - default), -lr))

    def prompt_run(
        self, method, task, seed, lr, regime='full', stage='final', variant=None
    ) -> Run | None:
        """A prompted run; None (and a pending entry) when what it starts from waits."""
        name = run_name(
            method if variant is None else f'{method}_{variant}', task, seed, lr, regime
        )
        if name in self.plan.runs:
            run = self.plan.runs[name]
            if stage == 'final':
                run.test, run.stage = True, 'final'
            return run
        base = 'dlm' if method.startswith('dlm') and method != 'dlm_no_layer2' else method
        config = config_path(base, task)
        cfg = load_config(config, self.repo)
        derived = None
        if method in ('dlm_only', 'dlm_without'):
            names = auxiliaries(task, self.repo)
            kept = [variant] if method == 'dlm_only' else [n for n in names if n != variant]
            derived = subset_config(osp.join(self.repo, config), cfg, kept)
        skip = ('model.auxiliaries',) if method == 'dlm_random_aux' else ()
        model_options, deps = self.backbones(config, task, seed, regime, skip)
        model_options.update(self.data(task))
        if method == 'dlm_random_aux':
            model_options.update(random_aux_options(auxiliaries(task, self.repo)))
        if method in ('dlm_only', 'dlm_without'):
            model_options = {
                k: v
                for k, v in model_options.items()
                if not k.startswith('model.auxiliaries.') or k.split('.')[2] in kept
            }
        model_options['model.train_head'] = method != 'dlm_frozen_head'
        # the configs' DLM starts exactly (exact_start=True); the benchmark's "DLM" rows and
        # their controls are the paper's ungated DLM, "DLM (exact start)" is the default
        model_options['model.exact_start'] = method == 'dlm_exact'
        if method == 'mvlpt':
            source_task = PRIMARIES[(PRIMARIES.index(task) + 1) % len(PRIMARIES)]
            ready, source_lr = self.lr_of('vpt_shallow', source_task)
            if not ready:
                self.plan.wait(f'mvlpt/{task}: the VPT-shallow prompts of {source_task}')
                return None
            source = self.prompt_run('vpt_shallow', source_task, seed, source_lr, stage='source')
            model_options['model.mapper.init_file'] = self.chosen(source, PROMPTS)
            deps.append(source.name)
        run = Run(
            name,
            method if variant is None else f'{method}_{variant}',
            task,
            seed,
            config,
            osp.join(self.root, name),
            model_options,
            self._train_options(cfg, task, seed, regime, lr),
            test=stage == 'final',
            modes=('static', 'dynamic') if base in DLM_METHODS else (None,),
            deps=deps,
            lr=lr,
            regime=regime,
            stage=stage,
            variant=variant,
            train_head=method != 'dlm_frozen_head',
            validation=self.validation(task),
            derived_config=derived,
            repo=self.repo,
        )
        if derived is not None:
            run.config = osp.join(self.root, name, 'config.py')
        return self.add(run)

    def calibrated(self, task: str, seed: int, lr) -> Run:
        """Static calibration of the DLM run of ``task`` at ``seed`` (``variants``): its
        chosen checkpoint loaded, the static prompts and the head trained for a third of
        the schedule at DLM's learning rate, no mapper and no auxiliary running."""
        dlm = self.prompt_run('dlm', task, seed, lr)
        name = run_name('dlm_calibrated', task, seed, lr)
        if name in self.plan.runs:
            return self.plan.runs[name]
        config = config_path('dlm', task)
        cfg = load_config(config, self.repo)
        rate = lr if lr is not None else cfg.optim_wrapper.optimizer.lr
        length, by_epoch = calibration_length(cfg)
        schedule = Config(dict(train_cfg={'max_epochs' if by_epoch else 'max_iters': length}))
        train_options = self._train_options(schedule, task, seed, 'full', None)
        train_options['load_from'] = self.chosen(dlm)
        run = Run(
            name, 'dlm_calibrated', task, seed, osp.join(self.root, name, 'config.py'),
            osp.join(self.root, name), dict(dlm.model_options), train_options, modes=('static',),
            deps=[*dlm.deps, dlm.name], lr=lr, train_head=True,
            validation=self.validation(task),
            derived_config=calibration_config(osp.join(self.repo, config), cfg, rate),
            repo=self.repo,
        )  # fmt: skip
        return self.add(run)

    # -- zero-shot (Table 2) ----------------------------------------------------------------
    def zero_shot(self, held_out: str, seed: int | None, lr) -> Run:
        config_name, primary = ZERO_SHOT[held_out]
        config = f'configs/zero_shot/{config_name}.py'
        model_options, deps = self.backbones(config, held_out, 0, 'full')
        model_options.update(self.data(held_out))
        method = 'zero_shot_original' if seed is None else 'zero_shot_dlm'
        if seed is None:
            model_options['model.prompt_file'] = None
        else:
            dlm = self.prompt_run('dlm', primary, seed, lr)
            model_options['model.prompt_file'] = self.chosen(dlm, PROMPTS)
            deps.append(dlm.name)
        name = run_name(method, held_out, seed)
        run = Run(
            name, method, held_out, seed, config, osp.join(self.root, name), model_options,
            train=False, deps=deps, validation='none', repo=self.repo,
        )  # fmt: skip
        return self.add(run)

    # -- the whole plan ---------------------------------------------------------------------
    def build(self) -> Plan:
        """Every run of the preset that can be planned now."""
        self.plan = Plan()
        preset = self.preset
        for task in preset.primaries:
            self._primary(task)
        if preset.zero_shot and 'dlm' in preset.methods:
            for held_out, (_, primary) in ZERO_SHOT.items():
                if primary not in preset.primaries:
                    continue
                ready, lr = self.lr_of('dlm', primary)
                if not ready:
                    continue
                self.zero_shot(held_out, None, lr)
                for seed in preset.prompt_seeds:
                    self.zero_shot(held_out, seed, lr)
        return self.plan

    def _primary(self, task: str) -> None:
        preset, plan = self.preset, self.plan
        if self.validation(task) == 'none' and (preset.lr_grid or preset.low_data):
            plan.note(
                f'{task}: no validation split apart from the test split (none in the bench '
                'preset): no learning-rate grid, no validation during training, '
                'the last checkpoint is tested'
            )
        for method in preset.methods:
            if method == 'full':
                for seed in preset.full_seeds:
                    self.full(task, seed, test=True)
                continue
            if method == 'hps':
                self._hps(task)
                continue
            if not osp.isfile(osp.join(self.repo, config_path(method, task))):
                plan.note(f'{method} on {task}: no config {config_path(method, task)}')
                continue
            ready, lr = self.lr_of(method, task)
            if not ready:
                continue
            for seed in preset.seeds_of(method):
                self.prompt_run(method, task, seed, lr)
        if 'dlm' in preset.methods and (preset.controls or preset.low_data or preset.variants):
            ready, lr = self.lr_of('dlm', task)
            if ready:
                self._variants(task, lr)
                self._controls(task, lr)

    def _variants(self, task: str, lr) -> None:
        if not self.preset.variants:
            return
        for seed in self.preset.other_seeds:
            self.prompt_run('dlm_exact', task, seed, lr)
            self.calibrated(task, seed, lr)

    def _controls(self, task: str, lr) -> None:
        preset = self.preset
        for seed in preset.other_seeds:
            if preset.controls:
                self.prompt_run('dlm_random_aux', task, seed, lr)
                for aux in auxiliaries(task, self.repo):
                    self.prompt_run('dlm_only', task, seed, lr, variant=aux)
                    self.prompt_run('dlm_without', task, seed, lr, variant=aux)
        if not preset.low_data:
            return
        if self.validation(task) == 'none' or not splits.has_carver(task):
            self.plan.note(f'{task}: no low-data runs (no subset writer for its format)')
            return
        for seed in preset.other_seeds:
            for method in preset.low_data_methods:
                if method == 'full':
                    self.full(task, seed, 'low_data', test=True)
                    continue
                ready, method_lr = (
                    (True, lr) if method.startswith('dlm') else self.lr_of(method, task)
                )
                if ready:
                    self.prompt_run(method, task, seed, method_lr, regime='low_data')

    def _hps(self, task: str) -> None:
        config = config_path('hps', task)
        if not osp.isfile(osp.join(self.repo, config)):
            self.plan.note(f'hps on {task}: no config {config}')
            return
        cfg = load_config(config, self.repo)
        self.plan.note(
            f'hps on {task}: its partner task trains on the default demo set '
            "(data/demo), whose training split is the bench preset's"
        )
        for seed in self.preset.seeds_of('hps'):
            options, deps = self.backbones(config, task, seed, 'full')
            options.update(self.data(task))
            name = run_name('hps', task, seed)
            self.add(
                Run(
                    name,
                    'hps',
                    task,
                    seed,
                    config,
                    osp.join(self.root, name),
                    options,
                    self._train_options(cfg, task, seed, 'full', None),
                    deps=deps,
                    train_head=True,
                    validation=self.validation(task),
                    repo=self.repo,
                )  # fmt: skip
            )

"""The Runner of a validated run: it reuses the model and datasets that
:func:`~dlm_core.validation.validate_run` built, and loads prompt-tuning checkpoints
(trained tensors only) without listing every frozen tensor as missing."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from torch import nn

from .compat.safe_checkpoint import load_checkpoint_file
from .trained_checkpoints import is_prompt_tuning_model, load_trained_state

__all__ = ['ValidatedRun', 'build_runner']


@dataclass
class ValidatedRun:
    """What :func:`validate_run` built, for :func:`build_runner` to reuse."""

    model: nn.Module
    #: ``(dataset config, dataset)`` of each dataloader the run uses
    datasets: list[tuple[dict, object]] = field(default_factory=list)
    #: log records of the validation, written to the run's log file once it exists
    log_records: list[logging.LogRecord] = field(default_factory=list)

    def dataset_for(self, cfg: dict):
        """The dataset built from a config equal to ``cfg``, or ``None``."""
        for built_cfg, dataset in self.datasets:
            if built_cfg == cfg:
                return dataset
        return None


def build_runner(cfg, validated: ValidatedRun | None = None) -> Runner:
    """``Runner.from_cfg(cfg)``, taking the model and datasets from ``validated``.

    The log lines of the validation (the model's trainable share among them) are written
    to the run's log file too.
    """
    if validated is None:
        return Runner.from_cfg(cfg)
    runner_class = type('Runner', (_ReusingRunner,), dict(validated=validated))
    runner = runner_class.from_cfg(cfg)
    for handler in runner.logger.handlers:
        if isinstance(handler, logging.FileHandler):
            for record in validated.log_records:
                if record.levelno >= handler.level:
                    handler.handle(record)
    return runner


class _ReusingRunner(Runner):
    """A Runner whose model and datasets were built by :func:`validate_run`."""

    validated: ValidatedRun

    def build_model(self, model):
        if isinstance(model, dict):
            return self.validated.model
        return super().build_model(model)

    def build_dataloader(self, dataloader, seed=None, diff_rank_seed=False):
        if isinstance(dataloader, dict) and isinstance(dataloader.get('dataset'), dict):
            dataset = self.validated.dataset_for(dataloader['dataset'])
            if dataset is not None:
                dataloader = dict(dataloader, dataset=dict(type=_Built(dataset)))
        return super().build_dataloader(dataloader, seed=seed, diff_rank_seed=diff_rank_seed)

    def load_checkpoint(self, filename, map_location='cpu', strict=False, revise_keys=None):
        """A prompt-tuning model's checkpoint holds its trained tensors only: load it
        with one log line instead of MMEngine's list of every frozen tensor."""
        model = self.model.module if is_model_wrapper(self.model) else self.model
        if strict or not is_prompt_tuning_model(model):
            revise = revise_keys if revise_keys is not None else [(r'^module.', '')]
            return super().load_checkpoint(filename, map_location, strict, revise)
        checkpoint = load_checkpoint_file(filename, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        load_trained_state(model, checkpoint, filename)
        self._has_loaded = True
        return checkpoint


class _Built:
    """A dataset ``type`` that returns a dataset already built; the Runner deep-copies
    dataloader configs, and a copy of this is itself (never a copy of the dataset)."""

    def __init__(self, dataset):
        self.dataset = dataset

    def __call__(self):
        return self.dataset

    def __deepcopy__(self, memo):
        return self

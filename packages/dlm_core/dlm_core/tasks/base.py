"""The task-plugin interface: what the core needs from a frozen task model.

A plugin wraps one task model (an mmaction2 recognizer, an mmdet detector, ...) and
exposes it as a stack of ``num_layers`` encoder layers between a stem and a head:

* :meth:`embed` runs the stem and returns a state (usually a :class:`TokenState`);
* :meth:`run_layers` runs layers ``[start, stop)``; with ``prompts`` they join before
  layer ``start`` and stay for the rest of the encoder: prepended to the sequence
  (``injection='prepend'``), or as extra keys/values of each later attention
  (``injection='prefix'``) where the attention cannot take extra tokens; with a
  ``gate`` (exact start, :class:`~dlm_core.models.prompt_gate.PromptGate`) every
  attention of layer ``i >= gate.first_layer`` that reads prompt keys routes them through
  ``gate.layer(i)``, so that with all gates at zero the task tokens come out exactly as
  without prompts (plugins that do so set ``supports_prompt_gate = True``);
* :meth:`tokens` reads ``(B, N, D)`` tokens off a state: the tap;
* :meth:`loss` and :meth:`predict` run the head on a state, prompts dropped;
* :meth:`shared_sample` describes a batch in task-neutral terms and :meth:`view` turns
  such a description (from another task) into this model's input: the auxiliary view.

Layer indices are 0-based: ``run_layers(state, 0, m)`` runs the paper's layers
``1..m``. The default tap and prompt layer is the middle, ``m = num_layers // 2``.

``random_init=True`` (with ``random_init_seed``) keeps the architecture, view and tap of a
plugin and gives its task model untrained weights instead of a checkpoint: the control
that separates knowledge from capacity (an auxiliary with untrained weights adds the same
mapper and prompts, but no trained skill).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, Literal

import torch
from mmengine.logging import print_log
from mmengine.model import BaseDataPreprocessor, BaseModule
from mmengine.model.weight_init import PretrainedInit
from torch import nn

from ..checkpoint_paths import find_checkpoint
from ..compat.safe_checkpoint import load_checkpoint_file
from ..errors import CheckpointError, ConfigError, MissingCheckpointError

#: Keys of a shared sample (all optional; a view names the one it needs).
SAMPLE_KEYS = {
    'frames': '(B, T, 3, H, W) float RGB in [0, 1]: the clip every video model can see',
    'features': '(B, C, T) float: per-snippet features, for feature-based models',
    'fps': 'frames per second of "frames" (float)',
    'masks': '(B, T) bool: valid steps of padded "features" (variable-length videos)',
}


class TaskPlugin(BaseModule):
    """Base of every task plugin. See the module docstring for the contract.

    Args:
        checkpoint: the task model's own (single-task) checkpoint, or the work dir of its
            training run (its ``last_checkpoint``). The core loads it strictly: missing or
            unexpected keys are an error.
        tap_layer: layers to run before the tap (default ``num_layers // 2``).
        prompt_layer: layer before which prompts join (default ``num_layers // 2``).
        checkpoint_hint: the command that produces the checkpoint, named in the error
            when it is missing.
        random_init: give the task model untrained weights instead of a checkpoint (the
            random-auxiliary control): every submodule's ``reset_parameters`` and then
            the model's own ``init_weights``, drawn from ``random_init_seed``. Chosen
            explicitly; a configured ``checkpoint`` with it is an error.
        random_init_seed: the seed of those weights (same seed, same weights).
    """

    #: 'prepend' (prompts join the sequence) or 'prefix' (extra keys/values).
    injection: ClassVar[Literal['prepend', 'prefix']] = 'prepend'
    #: whether :meth:`run_layers` takes ``gate=`` (the exact start of the prompted model)
    supports_prompt_gate: ClassVar[bool] = False
    #: whether :meth:`encoder_parts` names the encoder, so that hard parameter sharing can
    #: train it jointly with another task's
    can_share_encoder: ClassVar[bool] = False

    def __init__(
        self,
        checkpoint: str | None = None,
        tap_layer: int | None = None,
        prompt_layer: int | None = None,
        checkpoint_hint: str | None = None,
        random_init: bool = False,
        random_init_seed: int = 0,
        init_cfg=None,
    ):
        super().__init__(init_cfg=init_cfg)
        if not isinstance(random_init, bool):
            raise ConfigError(
                f'{type(self).__name__}: random_init must be True or False, got {random_init!r}'
            )
        if isinstance(random_init_seed, bool) or not isinstance(random_init_seed, int):
            raise ConfigError(
                f'{type(self).__name__}: random_init_seed must be an integer, got '
                f'{random_init_seed!r}'
            )
        if random_init and checkpoint is not None:
            raise ConfigError(
                f'{type(self).__name__}: random_init=True gives the task model untrained '
                f'weights, and checkpoint={checkpoint!r} gives it trained ones: choose one '
                '(checkpoint=None for the random control, or random_init=False)'
            )
        self.random_init = random_init
        self.random_init_seed = random_init_seed
        self.checkpoint = checkpoint
        self.checkpoint_hint = checkpoint_hint
        self._tap_layer = tap_layer
        self._prompt_layer = prompt_layer

    # -- geometry ---------------------------------------------------------------------
    @property
    @abstractmethod
    def embed_dim(self) -> int:
        """Token width ``D`` of the encoder."""

    @property
    @abstractmethod
    def num_layers(self) -> int:
        """Number of encoder layers ``L``."""

    @property
    def tap_layer(self) -> int:
        return self._checked_layer(self._tap_layer, 'tap_layer')

    @property
    def prompt_layer(self) -> int:
        return self._checked_layer(self._prompt_layer, 'prompt_layer')

    def _checked_layer(self, value: int | None, name: str) -> int:
        layer = self.num_layers // 2 if value is None else int(value)
        if not 0 <= layer <= self.num_layers:
            raise ValueError(
                f'{type(self).__name__}: {name}={layer} is outside [0, '
                f'{self.num_layers}] (its encoder has {self.num_layers} layers)'
            )
        return layer

    # -- the model --------------------------------------------------------------------
    @property
    @abstractmethod
    def task_model(self) -> nn.Module:
        """The wrapped task model: what the checkpoint holds and what is frozen."""

    @abstractmethod
    def head_modules(self) -> list[nn.Module]:
        """Modules of the task head, trained when the run says ``train_head=True``."""

    @property
    def data_preprocessor(self) -> nn.Module:
        """Moves and normalises a batch for this model (used when it is the primary)."""
        return getattr(self.task_model, 'data_preprocessor', None) or BaseDataPreprocessor()

    def encoder_parts(self) -> dict[str, nn.Module]:
        """The encoder (stem and layers) as ``{attribute path: module}``, e.g.
        ``{'model.backbone': ...}``. Needed only for hard parameter sharing (HPS), where
        tasks with the same encoder architecture train one encoder jointly; a plugin that
        names them sets :attr:`can_share_encoder`."""
        raise _cannot_share(self)

    def share_encoder(self, donor: TaskPlugin) -> None:
        """Use ``donor``'s encoder modules in place of this plugin's own (same objects)."""
        for plugin in (self, donor):
            if not plugin.can_share_encoder:
                raise _cannot_share(plugin)
        mine, theirs = self.encoder_parts(), donor.encoder_parts()
        if list(mine) != list(theirs):
            raise ValueError(
                f'{type(self).__name__} and {type(donor).__name__} name different '
                f'encoder parts: {list(mine)} vs {list(theirs)}'
            )
        for path, module in theirs.items():
            own = {k: v.shape for k, v in mine[path].state_dict().items()}
            other = {k: v.shape for k, v in module.state_dict().items()}
            if own != other:
                raise ValueError(
                    f'cannot share encoder part {path!r}: {type(self).__name__} and '
                    f'{type(donor).__name__} have different architectures there'
                )
            parent_path, _, name = path.rpartition('.')
            parent = self.get_submodule(parent_path) if parent_path else self
            setattr(parent, name, module)

    def resolve_checkpoint(self) -> str:
        """The checkpoint file: :attr:`checkpoint` itself, or, for a work dir, the file its
        ``last_checkpoint`` names. Missing files name the command that makes them."""
        path = find_checkpoint(self.checkpoint)
        if path is None:
            hint = f'; produce it with: {self.checkpoint_hint}' if self.checkpoint_hint else ''
            raise MissingCheckpointError(
                f'{type(self).__name__}: checkpoint {self.checkpoint} does not exist{hint}'
            )
        return path

    def load_checkpoint(self) -> None:
        """Load :attr:`checkpoint` into :attr:`task_model`, strictly; with
        :attr:`random_init`, give it seeded untrained weights instead."""
        if self.random_init:
            self.initialise_randomly()
            return
        if self.checkpoint is None:
            return
        path = self.resolve_checkpoint()
        payload = load_checkpoint_file(path)
        state = payload.get('state_dict', payload) if isinstance(payload, dict) else payload
        result = self.task_model.load_state_dict(state, strict=False)
        problems = []
        if result.missing_keys:
            problems.append(f'missing keys {_shorten(result.missing_keys)}')
        if result.unexpected_keys:
            problems.append(f'unexpected keys {_shorten(result.unexpected_keys)}')
        if problems:
            raise CheckpointError(
                f"checkpoint {path} does not match {type(self).__name__}'s model "
                f'({type(self.task_model).__name__}): ' + '; '.join(problems)
            )

    def initialise_randomly(self) -> None:
        """Untrained weights for :attr:`task_model`, deterministic from
        :attr:`random_init_seed`, drawn as the architecture draws them: every submodule's
        own ``reset_parameters`` (torch's defaults), then the model's ``init_weights``
        (its OpenMMLab init, e.g. truncated normals, zero-init heads), on a forked global
        generator seeded with the seed, so the caller's random stream is left as it was.
        ``Pretrained`` init configs are skipped: they would load trained weights.
        Tensors that neither sets keep their constructor values (fixed position tables,
        sampling grids, layer-scale constants)."""
        model = self.task_model
        devices = sorted({t.device.index or 0 for t in model.parameters() if t.is_cuda})
        skipped: list[str] = []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(self.random_init_seed)
            for module in model.modules():
                reset = getattr(module, 'reset_parameters', None)
                reset = reset if callable(reset) else getattr(module, '_reset_parameters', None)
                if callable(reset):
                    reset()
            if callable(getattr(model, 'init_weights', None)):
                with _without_pretrained_init(model) as names:
                    skipped = names
                    for module in model.modules():
                        if isinstance(module, BaseModule):
                            module._is_init = False
                    model.init_weights()
        skipped_text = f'; skipped Pretrained init of {skipped}' if skipped else ''
        print_log(
            f'{type(self).__name__}: untrained weights, random init (seed '
            f'{self.random_init_seed}){skipped_text}',
            logger='current',
        )

    # -- the four operations ----------------------------------------------------------
    @abstractmethod
    def embed(self, inputs: Any) -> Any:
        """The stem: a batch of this task's inputs -> the state before layer 0."""

    @abstractmethod
    def run_layers(
        self, state: Any, start: int, stop: int, prompts: torch.Tensor | None = None, **kwargs
    ) -> Any:
        """Layers ``[start, stop)``; ``prompts (B, M, D)`` join before ``start``.

        A plugin with ``supports_prompt_gate`` also takes ``gate`` (a ``PromptGate`` or
        ``None``), given together with the prompts and kept in the state for later calls:
        prompt keys then enter each attention only through
        ``gate.layer(i).self_attention`` (prepend mode), ``.prompt_term`` or
        ``.mha_prompt_term`` (added to the attention of the task keys alone).
        """

    def tokens(self, state: Any) -> torch.Tensor:
        """The ``(B, N, D)`` tokens of a state (the tap): by default the
        :class:`TokenState`'s ``tokens``."""
        return state.tokens

    @abstractmethod
    def loss(self, state: Any, data_samples: list) -> dict:
        """The head's losses on a state after all layers (prompts dropped)."""

    @abstractmethod
    def predict(self, state: Any, data_samples: list) -> list:
        """The head's predictions on a state after all layers (prompts dropped)."""

    @abstractmethod
    def shared_sample(self, inputs: Any, data_samples: list) -> dict:
        """This task's batch in task-neutral terms (keys of :data:`SAMPLE_KEYS`)."""

    @abstractmethod
    def view(self, sample: dict) -> Any:
        """Another task's shared sample as this model's input (its auxiliary view)."""

    # -- derived ----------------------------------------------------------------------
    def tap(self, inputs: Any, layer: int | None = None) -> torch.Tensor:
        """Tokens ``(B, N, D)`` after ``layer`` layers; the upper layers never run."""
        layer = self.tap_layer if layer is None else layer
        return self.tokens(self.run_layers(self.embed(inputs), 0, layer))

    def require(self, sample: dict, key: str) -> torch.Tensor:
        """``sample[key]``, or an error saying which view needs what."""
        if key not in sample:
            raise KeyError(
                f'{type(self).__name__} sees another task through its "{key}" '
                f"({SAMPLE_KEYS.get(key, '?')}), but the primary task's sample has only "
                f'{sorted(sample)}'
            )
        return sample[key]

    def require_frames(self, sample: dict) -> torch.Tensor:
        """``sample['frames']``, checked to be ``(B, T, 3, H, W)``."""
        frames = self.require(sample, 'frames')
        if frames.ndim != 5 or frames.shape[2] != 3:
            raise ValueError(
                f'{type(self).__name__}: sample["frames"] must be (B, T, 3, H, W) in [0, 1], '
                f'got {tuple(frames.shape)}'
            )
        return frames


@contextmanager
def _without_pretrained_init(model: nn.Module) -> Iterator[list[str]]:
    """``model``'s ``Pretrained`` init configs set aside (names of the modules that had one)."""
    saved, names = [], []
    for name, module in model.named_modules():
        cfg = getattr(module, 'init_cfg', None) if isinstance(module, BaseModule) else None
        if not cfg:
            continue
        cfgs = [cfg] if isinstance(cfg, dict) else list(cfg)
        kept = [c for c in cfgs if c.get('type') not in ('Pretrained', PretrainedInit)]
        if len(kept) != len(cfgs):
            saved.append((module, cfg))
            names.append(name or type(module).__name__)
            module.init_cfg = kept or None
    try:
        yield names
    finally:
        for module, cfg in saved:
            module.init_cfg = cfg


def _cannot_share(plugin: TaskPlugin) -> ConfigError:
    return ConfigError(
        f'{type(plugin).__name__} does not name its encoder parts (can_share_encoder is '
        'False), so it cannot share its encoder (hard parameter sharing)'
    )


def _shorten(keys: list[str], limit: int = 6) -> str:
    shown = ', '.join(keys[:limit])
    return f'[{shown}{", ..." if len(keys) > limit else ""}] ({len(keys)} in all)'

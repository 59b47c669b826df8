"""Any primary task prompted by any set of auxiliary tasks (docs/method.md §1, §4)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

import torch
from mmengine.dist import all_reduce
from mmengine.logging import print_log
from mmengine.model import BaseModel
from torch import nn

from ..cache import TapCache
from ..cache.fingerprint import frozen_digest
from ..errors import ConfigError
from ..mappers import PromptMapper
from ..prompt_io import save_prompt_file
from ..registry import MODELS, PROMPT_MAPPERS, build_from
from ..tasks import TaskPlugin, build_task
from .accounting import TrainableAccountingMixin
from .freezing import count_parameters, freeze_modules, hold_eval
from .prompt_gate import PromptGate
from .prompting import (
    check_gate_support,
    check_prompt_width,
    encode_with_prompts,
    lower_state,
    upper_state,
)

INFER_MODES = ('static', 'dynamic')


def _named_configs(auxiliaries) -> dict:
    """``{name: plugin config}`` in a fixed order: sorted by name for a dict.

    The order decides which mapper extractor reads which auxiliary's tap. MMEngine's
    ``Config.dump`` (the ``config.py`` every work dir holds) sorts dict keys, so an order
    taken from the dict as written would differ between a config and its dump: a model
    tested from the dumped config would feed each auxiliary's tap to another auxiliary's
    trained extractor, silently wherever the widths agree.
    """
    if auxiliaries is None:
        return {}
    if isinstance(auxiliaries, Mapping):
        return {name: auxiliaries[name] for name in sorted(auxiliaries)}
    if isinstance(auxiliaries, Sequence):
        return {f'aux{i}': cfg for i, cfg in enumerate(auxiliaries)}
    raise TypeError(
        f'auxiliaries must be a dict name -> plugin config or a list, got '
        f'{type(auxiliaries).__name__}'
    )


@MODELS.register_module()
class MultiTaskPromptModel(TrainableAccountingMixin, BaseModel):
    """A frozen primary task model prompted from frozen auxiliary task models.

    Training: the auxiliary encoders run up to their tap layer under ``no_grad``; the
    mapper turns the taps into prompts; the primary runs its lower layers unchanged and
    its upper layers with the prompts; the loss is the primary task's own. Only the
    mapper (and the primary head with ``train_head=True``) is trained; every backbone
    stays frozen and in ``eval()`` mode.

    Inference: ``infer_mode='static'`` prompts the primary with the moving average of
    the training prompts (no auxiliary model runs, as in the paper); ``'dynamic'`` runs
    the taps and the mapper for each sample.

    Exact start (``exact_start=True``): the prompts reach the task tokens only through
    zero-initialised gates (:class:`~dlm_core.models.prompt_gate.PromptGate`, one per
    prompted layer and prompt group), so at initialisation the model computes exactly
    the frozen primary's outputs; the gates are trained with the mapper.

    Static calibration (``static_calibration=True``): a last training stage, begun by
    ``dlm.StaticCalibrationHook``, in which the moving average becomes plain trainable
    prompts (:attr:`calibrated_prompts`), tuned with the head and gates while no mapper
    and no auxiliary model runs; static inference and prompt files then use them.

    Args:
        primary: config of the primary task plugin (``TASKS``).
        auxiliaries: ``{name: plugin config}`` (or a list) of auxiliary task plugins; a
            dict is taken in name order (prompt groups, taps and ``aux_dims`` alike).
        mapper: config of the prompt mapper (``PROMPT_MAPPERS``); ``primary_dim`` and
            ``aux_dims`` default to the plugins' widths. ``None``: the plain primary.
        prompt_layer: layer before which prompts join the primary (default: its middle).
        train_head: also train the primary's head.
        infer_mode: ``'static'`` or ``'dynamic'``.
        ema_momentum: weight of the old average in the prompt moving average.
        tap_cache: ``dict(enabled=True, fixed_view=False, cache_dir=None)``: store the
            taps and the primary's state entering its prompt layer once per sample and
            train later epochs on them (:class:`~dlm_core.cache.TapCache`; used when the
            train pipeline is deterministic, attached by ``dlm.TapCacheHook``).
        exact_start: gate the prompts' attention share, all gates at zero at first.
        static_calibration: keep :attr:`calibrated_prompts` for a calibration stage.
        data_preprocessor: default: the primary task model's own.
    """

    def __init__(
        self,
        primary: dict,
        auxiliaries=None,
        mapper: dict | None = None,
        prompt_layer: int | None = None,
        train_head: bool = False,
        infer_mode: str = 'static',
        ema_momentum: float = 0.99,
        tap_cache: dict | bool | None = None,
        exact_start: bool = False,
        static_calibration: bool = False,
        data_preprocessor: dict | nn.Module | None = None,
        init_cfg=None,
    ):
        if infer_mode not in INFER_MODES:
            raise ValueError(f'infer_mode must be one of {INFER_MODES}, got {infer_mode!r}')
        primary_plugin: TaskPlugin = build_task(primary)
        super().__init__(
            data_preprocessor=data_preprocessor or primary_plugin.data_preprocessor,
            init_cfg=init_cfg,
        )
        self.primary = primary_plugin
        self.auxiliaries = nn.ModuleDict(
            {name: build_task(cfg) for name, cfg in _named_configs(auxiliaries).items()}
        )
        self.prompt_layer = (
            self.primary.prompt_layer
            if prompt_layer is None
            else self.primary._checked_layer(prompt_layer, 'prompt_layer')
        )
        self.train_head = train_head
        self.infer_mode = infer_mode
        self.ema_momentum = float(ema_momentum)
        self.mapper: PromptMapper | None = self._build_mapper(mapper)
        if isinstance(tap_cache, bool):
            tap_cache = dict(enabled=tap_cache)
        self.tap_cache = TapCache(**tap_cache) if tap_cache else None
        if self.mapper is not None:
            num, dim = self.mapper.num_output_prompts, self.mapper.primary_dim
            self.register_buffer('ema_prompts', torch.zeros(num, dim))
            self.register_buffer('ema_steps', torch.zeros((), dtype=torch.long))
        self.prompt_gate = self._build_gate() if exact_start else None
        self.static_calibration = bool(static_calibration)
        if self.static_calibration:
            if self.mapper is None or not self.mapper.input_dependent:
                raise ConfigError(
                    'model.static_calibration=True turns the moving average of an '
                    'input-dependent mapper into plain prompts; mapper '
                    f'{type(self.mapper).__name__ if self.mapper else None} has none'
                )
            self.calibrated_prompts = nn.Parameter(torch.zeros_like(self.ema_prompts))
            self.register_buffer('calibration_started', torch.zeros((), dtype=torch.bool))

        heads = self.primary.head_modules() if train_head else []
        self._frozen = freeze_modules(self.primary, keep_trainable=heads)
        for aux in self.auxiliaries.values():
            self._frozen += freeze_modules(aux)
        hold_eval(self._frozen)
        for plugin in [self.primary, *self.auxiliaries.values()]:
            plugin.load_checkpoint()
        self._warn_untrained()
        self._log_accounting()

    # -- building ---------------------------------------------------------------------
    def _build_mapper(self, cfg: dict | None) -> PromptMapper | None:
        if cfg is None:
            return None
        cfg = dict(cfg)
        widths = [aux.embed_dim for aux in self.auxiliaries.values()]
        cfg.setdefault('primary_dim', self.primary.embed_dim)
        cfg.setdefault('aux_dims', widths)
        if int(cfg['primary_dim']) != self.primary.embed_dim:
            raise ValueError(
                f'mapper primary_dim={cfg["primary_dim"]} but the primary plugin '
                f'{type(self.primary).__name__} has token width {self.primary.embed_dim}'
            )
        mapper = build_from(PROMPT_MAPPERS, cfg)
        if mapper.input_dependent:
            names = list(self.auxiliaries)
            if len(mapper.aux_dims) != len(widths):
                raise ValueError(
                    f'mapper aux_dims={mapper.aux_dims} lists {len(mapper.aux_dims)} '
                    f'widths but {len(widths)} auxiliary tasks are configured: {names}'
                )
            for index, (want, have) in enumerate(zip(mapper.aux_dims, widths)):
                if want != have:
                    raise ValueError(
                        f'mapper aux_dims[{index}]={want} but auxiliary {index} ({names[index]}, '
                        f'{type(self.auxiliaries[names[index]]).__name__}) has width {have}'
                    )
        return mapper

    def _build_gate(self) -> PromptGate:
        if self.mapper is None:
            raise ConfigError('model.exact_start=True needs a mapper: it gates its prompts')
        check_gate_support(self.primary)
        groups = self.mapper.prompt_groups
        if sum(groups) != self.mapper.num_output_prompts:
            raise ConfigError(
                f'{type(self.mapper).__name__}.prompt_groups={groups} does not add up to its '
                f'{self.mapper.num_output_prompts} prompts'
            )
        return PromptGate(groups, self.prompt_layer, self.primary.num_layers)

    def init_weights(self) -> None:
        """Initialise the mapper only.

        The task models are loaded from their own checkpoints when the model is built
        and are never re-initialised: MMEngine's Runner calls ``init_weights`` before
        training, and the backbones' own ``init_weights`` would overwrite them.
        """
        if self.mapper is not None:
            self.mapper.init_weights()

    # -- accounting -------------------------------------------------------------------
    @property
    def backbone_parameters(self) -> int:
        """Parameters of all task models, primary and auxiliary."""
        return count_parameters([self.primary, *self.auxiliaries.values()])

    def _warn_untrained(self) -> None:
        """Name the frozen task models that got neither a checkpoint nor ``random_init``:
        they keep their constructors' weights, never trained, and what only an
        ``init_weights`` sets is unset memory (mmdet's Deformable DETR level embeddings)."""
        roles = [('primary', self.primary), *self.auxiliaries.items()]
        untrained = [
            role for role, plugin in roles if plugin.checkpoint is None and not plugin.random_init
        ]
        if untrained:
            print_log(
                f'DLM: {untrained} have no checkpoint and no random_init: their frozen task '
                "models keep their constructors' weights (set model.primary.checkpoint / "
                'model.auxiliaries.<name>.checkpoint, or random_init=True for the '
                'random-auxiliary control)',
                logger='current',
                level=logging.WARNING,
            )

    def _log_accounting(self) -> None:
        print_log(
            f'DLM: primary {type(self.primary).__name__} (width {self.primary.embed_dim}, '
            f'prompts before layer {self.prompt_layer}/{self.primary.num_layers}), '
            f'auxiliaries {list(self.auxiliaries) or "none"}, mapper '
            f'{type(self.mapper).__name__ if self.mapper is not None else "none"}; trainable '
            f'{self.trainable_parameters:,} of {self.backbone_parameters:,} backbone parameters '
            f'= {self.trainable_percent:.2f} %; tap cache '
            f'{"configured" if self.tap_cache is not None else "not configured (model.tap_cache)"}'
            f'; exact start {"on" if self.prompt_gate is not None else "off"}'
            f'; static calibration {"configured" if self.static_calibration else "off"}',
            logger='current',
        )

    # -- prompts ----------------------------------------------------------------------
    def auxiliary_taps(self, inputs, data_samples) -> list[torch.Tensor]:
        """Each auxiliary model's view of the batch, run to its tap layer (no grad)."""
        sample = self.primary.shared_sample(inputs, data_samples)
        taps = []
        with torch.no_grad():
            for aux in self.auxiliaries.values():
                taps.append(aux.tap(aux.view(sample)))
        return taps

    @property
    def calibrating(self) -> bool:
        """Whether the static calibration stage has begun (then static prompts are
        :attr:`calibrated_prompts`, and training runs no mapper and no auxiliary)."""
        return self.static_calibration and bool(self.calibration_started)

    def begin_static_calibration(self) -> None:
        """Start the calibration stage: the moving average becomes the trainable
        :attr:`calibrated_prompts`. Called once by ``dlm.StaticCalibrationHook``."""
        if not self.static_calibration:
            raise ConfigError(
                'static calibration needs model.static_calibration=True (it keeps the '
                'trainable prompts of the stage)'
            )
        if self.calibrating:
            return
        with torch.no_grad():
            self.calibrated_prompts.copy_(self.inference_prompts())
        self.calibration_started.fill_(True)

    def inference_prompts(self) -> torch.Tensor:
        """The ``(M, D_p)`` prompts of static inference and of exported prompt files."""
        if self.mapper is None:
            raise RuntimeError('this model has no mapper, hence no prompts')
        if not self.mapper.input_dependent:
            return self.mapper([], 1)[0]
        if self.calibrating:
            return self.calibrated_prompts
        if int(self.ema_steps) == 0:
            raise RuntimeError(
                'static prompts are the moving average of the training prompts, and this model '
                'has not been trained yet (ema_steps=0): train it, load a trained checkpoint, '
                "or predict with infer_mode='dynamic'"
            )
        return self.ema_prompts

    def _update_ema(self, prompts: torch.Tensor) -> None:
        batch_mean = prompts.detach().mean(dim=0).to(self.ema_prompts.dtype)
        # every rank keeps the same average: the mean over the global batch (no-op alone)
        all_reduce(batch_mean, op='mean')
        if int(self.ema_steps) == 0:
            self.ema_prompts.copy_(batch_mean)
        else:
            self.ema_prompts.mul_(self.ema_momentum).add_(batch_mean, alpha=1 - self.ema_momentum)
        self.ema_steps += 1

    @property
    def uses_taps(self) -> bool:
        """Whether the prompts of training depend on the auxiliary taps."""
        return self.mapper is not None and self.mapper.input_dependent

    def _prompts(
        self, batch_size: int, mode: str, taps: Callable[[], list[torch.Tensor]]
    ) -> torch.Tensor | None:
        if self.mapper is None:
            return None
        if not self.mapper.input_dependent:
            prompts = self.mapper([], batch_size)
        elif mode == 'static' or (self.training and self.calibrating):
            prompts = self.inference_prompts().unsqueeze(0).expand(batch_size, -1, -1)
        else:
            prompts = self.mapper(taps(), batch_size)
            if self.training:
                self._update_ema(prompts)
        check_prompt_width(prompts, self.primary, type(self.mapper).__name__)
        return prompts

    def encode(self, inputs, data_samples=None, mode: str = 'dynamic'):
        """The primary's encoder state with prompts of the given mode."""
        return encode_with_prompts(
            self.primary,
            inputs,
            self.prompt_layer,
            lambda batch_size: self._prompts(
                batch_size, mode, lambda: self.auxiliary_taps(inputs, data_samples)
            ),
            self.prompt_gate,
        )

    def frozen_lower_half(self, inputs, data_samples) -> tuple:
        """``(state, taps)``: what the frozen models give a batch before any prompt: the
        primary's state entering its prompt layer and the auxiliary taps (no grad)."""
        state = lower_state(self.primary, inputs, self.prompt_layer)
        taps = self.auxiliary_taps(inputs, data_samples) if self.uses_taps else []
        return state, taps

    def _train_encode(self, inputs, data_samples):
        """:meth:`encode` for training; the frozen lower half comes from the tap cache
        when this run uses one. While calibrating, the static prompts and no auxiliary
        (the cache is not read: its entries hold taps)."""
        if self.calibrating:
            return self.encode(inputs, data_samples, 'static')
        if self.tap_cache is None or not self.training:
            return self.encode(inputs, data_samples, 'dynamic')
        state, taps = self.tap_cache.fetch(
            inputs,
            data_samples,
            self.primary,
            lambda: self.frozen_lower_half(inputs, data_samples),
            device=next(self.parameters()).device,
        )
        batch_size = self.primary.tokens(state).shape[0]
        prompts = self._prompts(batch_size, 'dynamic', lambda: taps)
        return upper_state(self.primary, state, self.prompt_layer, prompts, self.prompt_gate)

    def attach_tap_cache(self, work_dir: str, dataset=None, dataset_cfg=None) -> bool:
        """Let the tap cache decide whether this run uses it (see :class:`TapCache`)."""
        if self.tap_cache is None:
            raise RuntimeError('this model has no tap cache: configure model.tap_cache')
        fingerprint = dict(
            primary=dict(
                plugin=type(self.primary).__name__,
                weights=frozen_digest(self.primary),
                prompt_layer=self.prompt_layer,
            )
        )
        if self.uses_taps:
            for name, aux in self.auxiliaries.items():
                fingerprint[f'auxiliary {name}'] = dict(
                    plugin=type(aux).__name__, weights=frozen_digest(aux), tap_layer=aux.tap_layer
                )
        return self.tap_cache.attach(
            work_dir, fingerprint, dataset, dataset_cfg, data_preprocessor=self.data_preprocessor
        )

    # -- MMEngine ---------------------------------------------------------------------
    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        if mode == 'loss':
            return self.primary.loss(self._train_encode(inputs, data_samples), data_samples)
        if mode == 'predict':
            state = self.encode(inputs, data_samples, self.infer_mode)
            return self.primary.predict(state, data_samples)
        if mode == 'tensor':
            return self.primary.tokens(self.encode(inputs, data_samples, self.infer_mode))
        raise ValueError(f'mode must be "loss", "predict" or "tensor", got {mode!r}')

    def trained_state_dict(self) -> dict[str, torch.Tensor]:
        """The tensors this run trains (mapper, gates, head, calibrated prompts), the prompt
        moving average and the calibration stage flag: nothing frozen."""
        trained = {name: p for name, p in self.named_parameters() if p.requires_grad}
        if self.mapper is not None:
            trained['ema_prompts'] = self.ema_prompts
            trained['ema_steps'] = self.ema_steps
        if self.static_calibration:
            trained['calibration_started'] = self.calibration_started
        return {k: v.detach().cpu().clone() for k, v in trained.items()}

    def export_prompts(self, path: str, meta: dict | None = None) -> None:
        """Write the prompt file that a plain primary model (:class:`PromptedTaskModel`)
        loads for static inference or zero-shot transfer."""
        info = dict(
            primary=type(self.primary).__name__,
            auxiliaries=list(self.auxiliaries),
            mapper=type(self.mapper).__name__,
            trainable_percent=self.trainable_percent,
            static_calibration=self.calibrating,
        )
        if self.prompt_gate is not None:
            # the gate logits travel in "trained"; these numbers rebuild the gate around them
            info['prompt_gate'] = self.prompt_gate.describe()
        info.update(meta or {})
        save_prompt_file(
            path, self.inference_prompts(), self.prompt_layer, self.trained_state_dict(), info
        )

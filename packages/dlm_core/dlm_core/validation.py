"""Checking a run before its first step, in one place (issue #12).

A wrong path, label or width otherwise surfaces minutes into a run, as a traceback from
deep inside a library, after the Runner has made its work dir and log. :func:`validate_run`
builds what the run needs first, before any Runner exists:

1. cheap checks of its own: the ``type`` of the model and of every dataset is registered;
   the files and folders a dataset config names (``data_root``, ``ann_file``,
   ``data_prefix``) exist; an explicit mapper width agrees with its task plugin; the
   checkpoint to load (``load_from``, ``--resume FILE``) exists;
2. the model, through the registries, as the Runner would: task plugins load their own
   checkpoints strictly (a missing one names the command that makes it);
3. ``load_from`` against that model: a tensor of another shape (a checkpoint of another
   width) or no tensor in common is an error, where MMEngine would only warn;
4. the dataset of every dataloader the run uses: each task's dataset checks its own files
   as it loads (lengths, labels against the class map, boxes against the image);
5. the val/test evaluators, given their dataset's meta as the Runner's loops give it: a
   metric whose ground truth describes other videos or classes stops here (the Runner
   builds them once more; metrics read their ground truth files twice, a small cost).

Every problem is a :class:`~dlm_core.errors.RunError` naming the file (and line or field)
and what was expected; :func:`report_run_errors` turns it into ``error: ...`` and exit
status 2. :func:`build_runner` then hands the built model and datasets to the Runner, so
validating costs no second build of model or datasets (the ``load_from`` file is read twice).
"""

from __future__ import annotations

import copy
import difflib
import json
import logging
import os.path as osp
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from mmengine.evaluator import Evaluator
from mmengine.logging import MMLogger, print_log
from mmengine.registry import DATASETS, EVALUATOR, MODELS, DefaultScope, Registry
from mmengine.runner.utils import set_random_seed
from torch import nn

from .compat.safe_checkpoint import load_checkpoint_file
from .config_roots import log_root_overrides
from .errors import (
    CheckpointError,
    ConfigError,
    DataError,
    MissingCheckpointError,
    MissingFileError,
    RunError,
    UnknownTypeError,
)
from .registry import PROMPT_MAPPERS
from .tasks import build_task
from .trained_checkpoints import check_static_prompts_ready
from .validated_runner import ValidatedRun, build_runner

__all__ = ['ValidatedRun', 'build_runner', 'report_run_errors', 'validate_run']

MODES = ('train', 'test')


@contextmanager
def report_run_errors() -> Iterator[None]:
    """Print a :class:`RunError` as ``error: <message>`` on stderr and exit with status 2:
    the message names the culprit, a traceback into a library would only hide it."""
    try:
        yield
    except RunError as err:
        print(f'error: {err}', file=sys.stderr, flush=True)
        raise SystemExit(2) from None


def validate_run(cfg, mode: str = 'train') -> ValidatedRun:
    """Check ``cfg`` (a loaded run config) and build its model and datasets.

    ``mode``: ``'train'`` checks the train dataloaders (and the validation one, when the
    run validates); ``'test'`` checks the test dataloader. Raises :class:`RunError`.
    """
    if mode not in MODES:
        raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
    start = time.perf_counter()
    loaders = _dataloader_configs(cfg, mode)
    with _recorded_log(cfg.get('log_level', 'INFO')) as records:
        log_root_overrides(cfg.get('root_overrides'))
        with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
            _check_type(MODELS, 'model', cfg.get('model'))
            for where, loader in loaders:
                _check_dataset_config(f'{where}.dataset', loader.get('dataset'))
            checkpoint = _checkpoint_to_load(cfg)
            _check_mapper_widths(cfg.get('model'))
            model = _build_model(cfg)
            state = _check_checkpoint_fits(model, *checkpoint) if checkpoint else None
            if mode == 'test':
                check_static_prompts_ready(model, state, checkpoint and checkpoint[1])
            datasets = []
            for where, loader in loaders:
                dataset_cfg = loader['dataset']
                if isinstance(dataset_cfg, dict) and _is_new(datasets, dataset_cfg):
                    datasets.append((copy.deepcopy(dataset_cfg), _build_dataset(where, loader)))
                _check_evaluator(cfg, where, loader, datasets)
        print_log(
            f'validated the config, the model and {len(datasets)} dataset(s) in '
            f'{time.perf_counter() - start:.1f} s',
            logger='current',
        )
    return ValidatedRun(model, datasets, records)


# -- what the run uses --------------------------------------------------------------------
def _dataloader_configs(cfg, mode: str) -> list[tuple[str, dict]]:
    """``(config field, dataloader config)`` of every dataloader the run builds."""
    if mode == 'test':
        names = ['test_dataloader']
    else:
        names = ['train_dataloader']
        if cfg.get('val_dataloader') is not None and cfg.get('val_cfg') is not None:
            names.append('val_dataloader')
    loaders = []
    for name in names:
        loader = cfg.get(name)
        if loader is None:
            raise ConfigError(f'{name}: missing; a {mode} run needs it')
        loaders.append((name, loader))
    if mode == 'train':
        others = (cfg.get('train_cfg') or {}).get('other_dataloaders') or {}
        for name, loader in others.items():
            loaders.append((f'train_cfg.other_dataloaders.{name}', loader))
    for where, loader in loaders:
        if not isinstance(loader, dict) or 'dataset' not in loader:
            raise ConfigError(f'{where}: expected a dataloader config with a "dataset"')
    return loaders


def _is_new(datasets: list, cfg: dict) -> bool:
    """Equal dataset configs (val and test, often) share one dataset."""
    return all(built != cfg for built, _ in datasets)


# -- types ----------------------------------------------------------------------------------
def _check_type(registry: Registry, where: str, cfg) -> None:
    """``cfg['type']`` is registered in ``registry`` (seen from the current scope)."""
    if not isinstance(cfg, dict):
        raise ConfigError(f'{where}: expected a dict with a "type", got {cfg!r}')
    name = cfg.get('type')
    if not isinstance(name, str):
        if name is None:
            raise ConfigError(f'{where}: has no "type"')
        return
    with registry.switch_scope_and_registry(cfg.get('_scope_')) as scoped:
        if scoped.get(name) is not None:
            return
        scope, short = Registry.split_scope_key(name)
        searched = _scope_registry(scoped, scope) if scope else scoped
        searched.import_from_location()  # a lazy registry knows its names once imported
        if scope and short in searched.module_dict:
            raise UnknownTypeError(
                f'{where}.type: {name!r} is registered in scope {scope!r}, but MMEngine does '
                f'not reach that registry from the scope {scoped.scope!r} (it is no direct '
                f"child of MMEngine's root): set default_scope={scope!r} and type={short!r}"
            )
        known = _names_in(searched)
    close = difflib.get_close_matches(short, known, n=3)
    hint = f'; did you mean {", ".join(repr(c) for c in close)}?' if close else ''
    raise UnknownTypeError(
        f'{where}.type: {name!r} is not a registered {registry.name} in scope '
        f'{searched.scope!r}{hint} (a class of a package is reached as '
        "'<package>.<Name>' from a scope that sees it, or after custom_imports)"
    )


def _scope_registry(registry: Registry, scope: str) -> Registry:
    """The registry of ``scope`` in ``registry``'s tree (``registry`` when there is none)."""
    root = registry
    while root.parent is not None:
        root = root.parent
    pending = [root]
    while pending:
        node = pending.pop()
        if node.scope == scope:
            return node
        pending.extend(node.children.values())
    return registry


def _names_in(registry: Registry) -> list[str]:
    names = []
    while registry is not None:
        registry.import_from_location()
        names.extend(registry.module_dict)
        registry = registry.parent
    return names


# -- files a dataset config names -------------------------------------------------------
def _is_remote(path: str) -> bool:
    return '://' in path


def _check_dataset_config(where: str, cfg) -> None:
    """The dataset's type is registered; its ``data_root``, ``ann_file`` and
    ``data_prefix`` folders exist (joined as MMEngine's ``BaseDataset`` joins them)."""
    _check_type(DATASETS, where, cfg)
    if isinstance(cfg.get('dataset'), dict):  # wrappers: RepeatDataset, ClassBalanced...
        _check_dataset_config(f'{where}.dataset', cfg['dataset'])
    for index, inner in enumerate(cfg.get('datasets') or []):  # ConcatDataset
        if isinstance(inner, dict):
            _check_dataset_config(f'{where}.datasets[{index}]', inner)
    if (cfg.get('backend_args') or {}).get('backend') not in (None, 'local'):
        return  # a remote storage backend: its paths are not on this disk
    root = cfg.get('data_root') or ''
    if isinstance(root, str) and root and not _is_remote(root) and not osp.isdir(root):
        raise MissingFileError(f'{where}.data_root: folder {root} does not exist')

    def resolved(path: str) -> tuple[str, str]:
        if root and not osp.isabs(path):
            return osp.join(root, path), f' ({path!r} is relative to data_root {root!r})'
        return path, ''

    ann_file = cfg.get('ann_file')
    if isinstance(ann_file, str) and ann_file and not _is_remote(ann_file):
        path, note = resolved(ann_file)
        if not osp.isfile(path):
            raise MissingFileError(f'{where}.ann_file: annotation file {path} does not exist{note}')
    prefix = cfg.get('data_prefix')
    if isinstance(prefix, dict):
        for key, value in prefix.items():
            if isinstance(value, str) and value and not _is_remote(value):
                path, note = resolved(value)
                if not osp.exists(path):
                    raise MissingFileError(
                        f'{where}.data_prefix.{key}: {path} does not exist{note}'
                    )


# -- widths ---------------------------------------------------------------------------------
def _check_mapper_widths(model_cfg) -> None:
    """An explicit ``primary_dim`` / ``aux_dims`` of the mapper of a
    :class:`~dlm_core.models.MultiTaskPromptModel` must be its plugins' token widths.

    The widths default to the plugins' own; only explicit ones are checked, which builds
    the plugins concerned once more (without their checkpoints).
    """
    from .models import MultiTaskPromptModel
    from .models.multi_task_prompt_model import _named_configs

    if not isinstance(model_cfg, dict):
        return
    mapper, primary = model_cfg.get('mapper'), model_cfg.get('primary')
    if not isinstance(mapper, dict) or not isinstance(primary, dict):
        return
    model_type = model_cfg.get('type')
    with MODELS.switch_scope_and_registry(None) as registry:
        model_class = registry.get(model_type) if isinstance(model_type, str) else model_type
    if not (isinstance(model_class, type) and issubclass(model_class, MultiTaskPromptModel)):
        return
    with _culprit('model'):
        if mapper.get('primary_dim') is not None:
            width = build_task(primary).embed_dim
            if int(mapper['primary_dim']) != width:
                raise ConfigError(
                    f'model.mapper.primary_dim is {mapper["primary_dim"]}, but the primary '
                    f'{_plugin_name(primary)} has token width {width}, so it could not take '
                    f'the prompts; set primary_dim={width} or leave it out (it defaults to '
                    "the primary's width)"
                )
        mapper_class = PROMPT_MAPPERS.get(mapper.get('type', ''))
        if mapper.get('aux_dims') is None or not getattr(mapper_class, 'input_dependent', True):
            return
        auxiliaries = _named_configs(model_cfg.get('auxiliaries'))
        dims = list(mapper['aux_dims'])
        if len(dims) != len(auxiliaries):
            raise ConfigError(
                f'model.mapper.aux_dims lists {len(dims)} widths {dims}, but '
                f'{len(auxiliaries)} auxiliary tasks are configured: {list(auxiliaries)}'
            )
        for index, (name, aux_cfg) in enumerate(auxiliaries.items()):
            width = build_task(aux_cfg).embed_dim
            if int(dims[index]) != width:
                raise ConfigError(
                    f'model.mapper.aux_dims[{index}] is {dims[index]}, but auxiliary '
                    f'{name!r} ({_plugin_name(aux_cfg)}) has token width {width}; set it to '
                    f"{width} or leave aux_dims out (it defaults to the plugins' widths)"
                )


def _plugin_name(cfg: dict) -> str:
    name = cfg.get('type')
    name = name if isinstance(name, str) else getattr(name, '__name__', repr(name))
    source = cfg.get('task_config')
    return f'{name} of {source}' if source else name


# -- checkpoints ----------------------------------------------------------------------------
def _checkpoint_to_load(cfg) -> tuple[str, str] | None:
    """``(config field, path)`` of the checkpoint the Runner will load, checked to exist
    (``None`` for none, or for ``--resume`` from the work dir's latest)."""
    path = cfg.get('load_from')
    if not path:
        return None
    where = 'resume checkpoint (load_from)' if cfg.get('resume') else 'load_from'
    if _is_remote(str(path)):
        return None
    if not osp.isfile(path):
        raise MissingCheckpointError(f'{where}: checkpoint {path} does not exist')
    return where, str(path)


def _check_checkpoint_fits(model: nn.Module, where: str, path: str) -> dict:
    """The checkpoint shares tensors with ``model``, each of the model's shape; returns
    its state dict.

    MMEngine's loader only warns about both, and training would go on from scratch, e.g.
    with the prompts of a mapper built for another primary width. Tensors the model lacks
    or that the checkpoint leaves out are fine (DLM checkpoints hold trained tensors only).
    """
    try:
        payload = load_checkpoint_file(path)
    except FileNotFoundError as err:
        raise MissingCheckpointError(f'{where}: {err}') from None
    except RuntimeError as err:
        raise CheckpointError(f'{where}: {err}') from None
    state = payload.get('state_dict', payload) if isinstance(payload, dict) else None
    if not isinstance(state, dict):
        raise CheckpointError(f'{where}: {path} holds no state_dict')
    own = model.state_dict()
    common, wrong = 0, []
    for key, value in state.items():
        key = key[len('module.') :] if key.startswith('module.') else key
        if key in own and hasattr(value, 'shape'):
            common += 1
            if tuple(value.shape) != tuple(own[key].shape):
                wrong.append((key, tuple(value.shape), tuple(own[key].shape)))
    if wrong:
        key, theirs, ours = wrong[0]
        more = f' ({len(wrong)} tensors differ)' if len(wrong) > 1 else ''
        raise CheckpointError(
            f'{where}: checkpoint {path} holds {key} of shape {theirs}, but this model '
            f'({type(model).__name__}) expects {ours}{more}: it was made for another '
            'configuration (a different primary width or prompt count?)'
        )
    if state and not common:
        raise CheckpointError(
            f'{where}: checkpoint {path} shares no tensor name with this model '
            f'({type(model).__name__}), e.g. it holds {next(iter(state))!r}: it is the '
            'checkpoint of another model'
        )
    return state


# -- building -----------------------------------------------------------------------------
@contextmanager
def _culprit(where: str, ann_file=None) -> Iterator[None]:
    """Name ``where`` (a config field) in the errors of what is built inside.

    A :class:`RunError` gets the field in front of its message. An unregistered ``type``
    deep in a config (MMEngine's ``KeyError``), a file the OS cannot open and an
    annotation file that is not JSON or not text become run errors naming what they can.
    """
    try:
        yield
    except RunError as err:
        if err.args and isinstance(err.args[0], str) and not err.args[0].startswith(where):
            err.args = (f'{where}: {err.args[0]}', *err.args[1:])
        raise
    except KeyError as err:
        message = err.args[0] if err.args else ''
        if isinstance(message, str) and 'is not in the' in message and 'registry' in message:
            raise UnknownTypeError(f'{where}: {message.split(" Please check")[0]}') from err
        raise
    except OSError as err:
        if err.filename is None:
            raise
        raise MissingFileError(f'{where}: cannot read {err.filename}: {err.strerror}') from err
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        if ann_file is None:
            raise
        raise DataError(f'{where}: {ann_file} cannot be parsed ({err})') from err


def _build_model(cfg) -> nn.Module:
    """The model as the Runner builds it, seeded as the Runner seeds it."""
    model_cfg = copy.deepcopy(cfg.get('model'))
    if cfg.get('data_preprocessor') is not None:
        model_cfg.setdefault('data_preprocessor', copy.deepcopy(cfg.data_preprocessor))
    seed = (cfg.get('randomness') or {}).get('seed')
    if seed is not None:  # the Runner seeds before it builds the model: so do we
        set_random_seed(seed)
    with _culprit('model'):
        return MODELS.build(model_cfg)


def _build_dataset(where: str, loader: dict):
    """The dataset of ``loader``, fully loaded, as the Runner builds it."""
    cfg = copy.deepcopy(loader['dataset'])
    with _culprit(f'{where}.dataset', cfg.get('ann_file')):
        dataset = DATASETS.build(cfg)
        if hasattr(dataset, 'full_init'):
            dataset.full_init()
    return dataset


def _check_evaluator(cfg, where: str, loader: dict, datasets: list) -> None:
    """Build the evaluator of ``where`` (``val_dataloader`` -> ``val_evaluator``) and give it
    its dataset's meta, as the Runner's loops do: a metric that checks its ground truth
    against the dataset (another annotation file, other classes) stops here, before any
    work dir exists, instead of after the first epoch."""
    key = {'val_dataloader': 'val_evaluator', 'test_dataloader': 'test_evaluator'}.get(where)
    if key is None or cfg.get(key) is None:
        return
    dataset = next((d for c, d in datasets if c == loader['dataset']), None)
    with _culprit(key):
        evaluator = copy.deepcopy(cfg.get(key))
        if isinstance(evaluator, dict) and 'metrics' in evaluator:
            evaluator = EVALUATOR.build(evaluator)
        elif not isinstance(evaluator, Evaluator):
            evaluator = Evaluator(evaluator)
        if dataset is not None and getattr(dataset, 'metainfo', None) is not None:
            evaluator.dataset_meta = dataset.metainfo


@contextmanager
def _recorded_log(log_level) -> Iterator[list[logging.LogRecord]]:
    """A logger of its own for the validation, whose records are kept for the run's log
    file (which does not exist yet: nothing is written to the work dir before the run)."""
    logger = MMLogger.get_instance(
        f'dlm_validation_{uuid.uuid4().hex}', logger_name='mmengine', log_level=log_level
    )
    records: list[logging.LogRecord] = []
    recorder = _Recorder(records)
    logger.addHandler(recorder)
    try:
        yield records
    finally:
        logger.removeHandler(recorder)


class _Recorder(logging.Handler):
    def __init__(self, records: list):
        super().__init__()
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

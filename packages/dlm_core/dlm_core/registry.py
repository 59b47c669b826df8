"""Registries of the ``dlm`` scope.

Every part of the method is reached from a config by ``type=``. ``MODELS``, ``HOOKS``,
``DATASETS`` ... are children of MMEngine's root registries, so a Runner whose
``default_scope`` is ``dlm`` finds both our classes and MMEngine's. ``PROMPT_MAPPERS``
and ``TASKS`` are roots of their own: a task package registers its plugins into a
*child* of ``TASKS`` whose scope is the package name (``tasks_recognition`` ...), and
``type='tasks_recognition.ActionRecognitionTask'`` imports that package on demand.
"""

from __future__ import annotations

from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import Registry

SCOPE = 'dlm'

MODELS = Registry('model', parent=MMENGINE_MODELS, scope=SCOPE, locations=['dlm_core.models'])
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, scope=SCOPE, locations=['dlm_core.hooks'])
LOOPS = Registry('loop', parent=MMENGINE_LOOPS, scope=SCOPE)
DATASETS = Registry('dataset', parent=MMENGINE_DATASETS, scope=SCOPE)
DATA_SAMPLERS = Registry('data sampler', parent=MMENGINE_DATA_SAMPLERS, scope=SCOPE)
TRANSFORMS = Registry('transform', parent=MMENGINE_TRANSFORMS, scope=SCOPE)
METRICS = Registry('metric', parent=MMENGINE_METRICS, scope=SCOPE)

#: Maps auxiliary tap tokens to prompts for the primary model (DESIGN.md §1).
PROMPT_MAPPERS = Registry('prompt mapper', scope=SCOPE, locations=['dlm_core.mappers'])

#: Task plugins: a frozen task model plus what the core needs to tap and prompt it.
TASKS = Registry('task plugin', scope=SCOPE, locations=['dlm_core.tasks'])


def registered_names(registry: Registry) -> list[str]:
    """All names reachable in ``registry`` and its descendants, as ``scope.Name``."""
    registry.import_from_location()
    names = [f'{registry.scope}.{name}' for name in registry.module_dict]
    for child in registry.children.values():
        names.extend(registered_names(child))
    return sorted(names)


def _find_in_descendants(registry: Registry, name: str) -> list[tuple[Registry, type]]:
    found = []
    for child in registry.children.values():
        child.import_from_location()
        if name in child.module_dict:
            found.append((child, child.module_dict[name]))
        found.extend(_find_in_descendants(child, name))
    return found


def build_from(registry: Registry, cfg: dict, **kwargs):
    """Build ``cfg`` from ``registry``; on an unknown type, list what is registered.

    A plain name (no ``scope.``) that lives only in a child registry is found there when
    it is unique, so ``type='ActionRecognitionTask'`` works once its package is imported.
    """
    if not isinstance(cfg, dict) or 'type' not in cfg:
        raise TypeError(f'a {registry.name} config must be a dict with a "type" key, got {cfg!r}')
    cfg = dict(cfg)
    type_name = cfg['type']
    if isinstance(type_name, str):
        scope, name = Registry.split_scope_key(type_name)
        target = registry.get(type_name)
        if target is None and scope is None:
            matches = _find_in_descendants(registry, name)
            if len(matches) == 1:
                registry, target = matches[0]
            elif len(matches) > 1:
                scopes = ', '.join(f'{r.scope}.{name}' for r, _ in matches)
                raise KeyError(f'{registry.name} type {name!r} is ambiguous; write one of {scopes}')
        if target is None:
            known = ', '.join(registered_names(registry)) or '(none)'
            raise KeyError(
                f'{registry.name} type {type_name!r} is not registered. Registered: {known}. '
                "A task package's plugins are reached as '<package>.<Name>', e.g. "
                "'tasks_recognition.ActionRecognitionTask', or after custom_imports.")
        cfg['type'] = target
    return registry.build(cfg, **kwargs)

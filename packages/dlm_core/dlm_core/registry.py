"""Registries of the ``dlm`` scope.

Every part of the method is reached from a config by ``type=``. ``MODELS``, ``HOOKS``,
``DATASETS`` ... are children of MMEngine's root registries, so a Runner whose
``default_scope`` is ``dlm`` finds both our classes and MMEngine's. ``PROMPT_MAPPERS``
and ``TASKS`` are roots of their own: a task package registers its plugins into a
*child* of ``TASKS`` whose scope is the package name (``tasks_recognition`` ...), and
``type='tasks_recognition.ActionRecognitionTask'`` imports that package on demand.
"""

from __future__ import annotations

from mmengine import registry as mmengine_registry
from mmengine.registry import Registry

from .errors import UnknownTypeError

SCOPE = 'dlm'


#: The MMEngine root registries a Runner builds from.
RUNNER_REGISTRIES = (
    'MODELS',
    'HOOKS',
    'DATASETS',
    'DATA_SAMPLERS',
    'TRANSFORMS',
    'METRICS',
    'EVALUATOR',
    'LOOPS',
    'RUNNERS',
    'RUNNER_CONSTRUCTORS',
    'MODEL_WRAPPERS',
    'WEIGHT_INITIALIZERS',
    'OPTIMIZERS',
    'OPTIM_WRAPPERS',
    'OPTIM_WRAPPER_CONSTRUCTORS',
    'PARAM_SCHEDULERS',
    'TASK_UTILS',
    'VISUALIZERS',
    'VISBACKENDS',
    'LOG_PROCESSORS',
    'FUNCTIONS',
)


def child_registries(scope: str, parents, locations: dict | None = None) -> dict[str, Registry]:
    """One child of each registry in :data:`RUNNER_REGISTRIES`, all with ``scope``.

    ``parents`` is a module holding the parent registries by those names: MMEngine's
    ``mmengine.registry`` for the core, ``mmaction.registry`` or ``mmdet.registry`` for a
    task package, so a config whose ``default_scope`` is the package's scope finds the
    package's classes first, then its OpenMMLab library's, then MMEngine's.
    ``locations`` maps a registry name to the modules that register into it; the
    parent's locations (``mmaction.models`` ...) are imported too when the child first
    looks a name up.
    """
    locations = locations or {}
    registries = {}
    for name in RUNNER_REGISTRIES:
        parent = getattr(parents, name, getattr(mmengine_registry, name))
        # a child finds its parent's classes only once the parent's modules are imported,
        # which the parent's own lookups would do: the child imports them itself
        inherited = [loc for loc in parent._locations if loc not in locations.get(name, ())]
        registries[name] = Registry(
            parent.name,
            parent=parent,
            scope=scope,
            locations=[*inherited, *locations.get(name, ())],
        )
    return registries


_registries = child_registries(
    SCOPE,
    mmengine_registry,
    dict(MODELS=['dlm_core.models'], HOOKS=['dlm_core.hooks'], LOOPS=['dlm_core.engine']),
)
MODELS = _registries['MODELS']
HOOKS = _registries['HOOKS']
DATASETS = _registries['DATASETS']
DATA_SAMPLERS = _registries['DATA_SAMPLERS']
TRANSFORMS = _registries['TRANSFORMS']
METRICS = _registries['METRICS']
EVALUATOR = _registries['EVALUATOR']
LOOPS = _registries['LOOPS']
OPTIMIZERS = _registries['OPTIMIZERS']
OPTIM_WRAPPERS = _registries['OPTIM_WRAPPERS']
PARAM_SCHEDULERS = _registries['PARAM_SCHEDULERS']
VISUALIZERS = _registries['VISUALIZERS']

#: Maps auxiliary tap tokens to prompts for the primary model (docs/method.md §1).
PROMPT_MAPPERS = Registry('prompt mapper', scope=SCOPE, locations=['dlm_core.mappers'])

#: Task plugins: a frozen task model plus what the core needs to tap and prompt it.
TASKS = Registry('task plugin', scope=SCOPE, locations=['dlm_core.tasks'])


def task_registry(scope: str, locations: list[str]) -> Registry:
    """The child of :data:`TASKS` a task package registers its plugins into."""
    return Registry('task plugin', parent=TASKS, scope=scope, locations=locations)


#: The task-package layout (docs/method.md): registry name -> the subpackage of a task
#: package whose modules register into it; plugins live in ``plugins/`` (``TASKS``).
PACKAGE_LAYOUT = dict(
    MODELS='models',
    DATASETS='datasets',
    TRANSFORMS='datasets.transforms',
    METRICS='evaluation',
    HOOKS='hooks',
)


def task_package_registries(scope: str, parents, without: tuple = ()) -> dict[str, Registry]:
    """The registries of the task package ``scope`` laid out as :data:`PACKAGE_LAYOUT`
    says: children of ``parents`` (its OpenMMLab library's registries) that import the
    package's subpackages on their first lookup (MMEngine's ``locations``), so that the
    package's ``__init__`` imports nothing only to register it; and ``TASKS``, reaching
    ``plugins/``. ``without`` names the layout's subpackages the package has none of."""
    locations = {
        name: [f'{scope}.{folder}']
        for name, folder in PACKAGE_LAYOUT.items()
        if folder.split('.')[0] not in without
    }
    registries = child_registries(scope, parents, locations)
    registries['TASKS'] = task_registry(scope, locations=[f'{scope}.plugins'])
    return registries


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
                raise UnknownTypeError(
                    f'{registry.name} type {name!r} is ambiguous; write one of {scopes}'
                )
        if target is None:
            known = ', '.join(registered_names(registry)) or '(none)'
            raise UnknownTypeError(
                f'{registry.name} type {type_name!r} is not registered. Registered: {known}. '
                "A task package's plugins are reached as '<package>.<Name>', e.g. "
                "'tasks_recognition.ActionRecognitionTask', or after custom_imports."
            )
        cfg['type'] = target
    return registry.build(cfg, **kwargs)

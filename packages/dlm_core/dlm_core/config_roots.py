"""Root folders given on the command line reach every path derived from them.

An OpenMMLab config computes its paths when the file is read (``ann_file =
f'{data_root}/train.txt'``), so ``--cfg-options data_root=/datasets/ssv2`` alone changes the
variable and none of the paths made from it: the run would read the old files, or fail on
them far from the option that caused it. :func:`apply_root_overrides` rewrites every string
of the config that starts with the old value of an overridden top-level ``*_root`` variable
(dataset paths, evaluator files, prompt files alike), and refuses an override that reaches
no path, naming the keys that hold the config's paths instead.
"""

from __future__ import annotations

from collections.abc import Iterator

from mmengine.logging import print_log

from .errors import ConfigError

#: config keys whose string values are file or folder paths (for the error message)
PATH_KEYS = (
    'ann_file',
    'data_root',
    'data_prefix',
    'exclude_file',
    'label_file',
    'proposal_file',
    'prompt_file',
)


def root_overrides(cfg_options: dict | None) -> dict[str, str]:
    """The top-level ``*_root`` variables among ``cfg_options`` (``{name: new value}``)."""
    return {
        key: value
        for key, value in (cfg_options or {}).items()
        if '.' not in key and key.endswith('_root') and isinstance(value, str)
    }


def _strings(node, path: str = '') -> Iterator[tuple[object, object, str, str]]:
    """``(container, key, dotted path, value)`` of every string below ``node``."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        if isinstance(node, dict):
            where = f'{path}.{key}' if path else str(key)
        else:
            where = f'{path}[{key}]'
        if isinstance(value, str):
            yield node, key, where, value
        elif isinstance(value, (dict, list)):
            yield from _strings(value, where)


def _rebased(value: str, old: str, new: str) -> str | None:
    """``value`` with its leading ``old`` folder replaced by ``new``, or ``None``."""
    old_dir, new_dir = old.rstrip('/') or old, new.rstrip('/') or new
    if value in (old, old_dir):  # the root itself, keeping its trailing slash or not
        return new_dir + '/' if value.endswith('/') and new_dir != '/' else new
    if value.startswith(old_dir + '/'):
        return new_dir + value[len(old_dir) :]
    return None


def path_fields(cfg) -> list[str]:
    """Dotted keys of the config's path values (``PATH_KEYS``), dataloaders and evaluators."""
    found = []
    for _, key, where, _ in _strings(cfg._cfg_dict if hasattr(cfg, '_cfg_dict') else cfg):
        parts = where.replace('[', '.').split('.')
        if any(part in PATH_KEYS for part in parts) or str(key) in PATH_KEYS:
            found.append(where)
    return found


def apply_root_overrides(cfg, old_values: dict[str, object], cfg_options: dict) -> dict:
    """Rebase every path that starts with an overridden root's old value.

    ``cfg``: the config after ``merge_from_dict(cfg_options)``; ``old_values``: each
    overridden root's value before the merge. Keys that ``cfg_options`` sets explicitly keep
    the value given. Returns ``{root: dict(old, new, keys)}`` (the keys rewritten). Raises
    :class:`ConfigError` for a root the config does not define, or one that no path uses
    (unless the new value is the old one).
    """
    explicit = set(cfg_options)
    rewritten: dict[str, list[str]] = {}
    for root, new in root_overrides(cfg_options).items():
        old = old_values.get(root)
        if not isinstance(old, str) or not old:
            raise ConfigError(
                f'--cfg-options {root}={new}: this config has no top-level {root!r} variable, '
                'so nothing is derived from it; set the path keys themselves, e.g. '
                + ', '.join(path_fields(cfg)[:8] or ['train_dataloader.dataset.ann_file'])
            )
        if new == old:
            # the root already has that value (a derived config that was written with it):
            # nothing to rebase, and nothing the user asked for is lost
            rewritten[root] = dict(old=old, new=new, keys=[])
            continue
        changed = []
        for container, key, where, value in list(_strings(cfg._cfg_dict)):
            if where == root or where in explicit:
                continue
            rebased = _rebased(value, old, new)
            if rebased is not None and rebased != value:
                container[key] = rebased
                changed.append(where)
        if not changed:
            raise ConfigError(
                f'--cfg-options {root}={new}: no path of this config starts with its old value '
                f'{old!r}, so the override would change nothing; set the path keys instead: '
                + ', '.join(path_fields(cfg)[:8])
            )
        rewritten[root] = dict(old=old, new=new, keys=changed)
    return rewritten


def log_root_overrides(rewritten: dict) -> None:
    """One line per overridden root: its old and new value and the keys it moved."""
    for root, moved in (rewritten or {}).items():
        keys = moved['keys']
        print_log(
            f'{root}={moved["new"]} (was {moved["old"]}) reaches {len(keys)} paths: '
            + ', '.join(keys),
            logger='current',
        )

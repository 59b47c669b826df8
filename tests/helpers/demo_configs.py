"""Helpers for tests that run a real config on a small demo set written under tmp_path,
or build its model at random init."""

from mmengine.config import Config


def retarget(value, old: str, new: str):
    """``value`` (a config dict, list or string) with every ``old`` in a string replaced by
    ``new``: points a config's data paths at a test's own copy of the demo set."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, dict):
        return {k: retarget(v, old, new) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(retarget(v, old, new) for v in value)
    return value


def demo_config(path: str, data_root: str, new_root: str) -> Config:
    """The config at ``path`` reading its data from ``new_root`` instead of ``data_root``."""
    return Config(retarget(Config.fromfile(path).to_dict(), data_root, new_root))


def without_checkpoints(model_cfg: dict) -> dict:
    """The DLM model config with every task model left at random init."""
    model_cfg['primary']['checkpoint'] = None
    for aux in model_cfg['auxiliaries'].values():
        aux['checkpoint'] = None
    return model_cfg

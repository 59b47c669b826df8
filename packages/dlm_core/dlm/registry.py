"""``dlm.registry``: the registries of :mod:`dlm_core.registry` under the scope's name."""

from dlm_core.registry import *  # noqa: F401,F403

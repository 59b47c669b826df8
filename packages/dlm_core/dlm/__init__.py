"""The ``dlm`` registry scope's package name.

MMEngine imports ``<scope>.registry`` whenever a config's ``default_scope`` (or a type
prefix such as ``dlm.MultiTaskPromptModel``) names a scope; this alias makes the ``dlm``
scope importable by that name. The code lives in :mod:`dlm_core`.
"""

from dlm_core import *  # noqa: F401,F403

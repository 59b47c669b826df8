"""The errors of a run that cannot start as configured (issue #12).

Every check of a config, a data file or a checkpoint raises a :class:`RunError`, so that
``tools/train.py`` and ``tools/test.py`` can print its message alone (``error: ...``) and
exit with status 2, while a bug still shows its traceback. Each class also derives from
the builtin error a caller would catch without this module (``ValueError``,
``FileNotFoundError``, ``KeyError``, ``RuntimeError``), so older ``except`` clauses and
tests keep working.
"""

from __future__ import annotations

__all__ = [
    'CheckpointError',
    'ConfigError',
    'DataError',
    'MissingCheckpointError',
    'MissingFileError',
    'RunError',
    'UnknownLabelError',
    'UnknownTypeError',
]


class RunError(Exception):
    """A config, data file or checkpoint that stops a run before it starts; the message
    names the culprit (file and line, or config field) and what was expected."""

    def __str__(self) -> str:
        # KeyError would quote the message; one plain sentence reads better
        return str(self.args[0]) if len(self.args) == 1 else super().__str__()


class ConfigError(RunError, ValueError):
    """A config value that cannot work (a width, a path field, an option)."""


class UnknownTypeError(ConfigError, KeyError):
    """A ``type=`` that no registry knows."""


class DataError(RunError, ValueError):
    """A data file that cannot be used as it is (format, labels, boxes, lengths)."""


class MissingFileError(RunError, FileNotFoundError):
    """A file or folder that the config (or a file it names) points at but is not there."""


class UnknownLabelError(DataError, KeyError):
    """A label that the dataset's class map does not have."""


class CheckpointError(RunError, RuntimeError):
    """A checkpoint that does not fit the model it is loaded into."""


class MissingCheckpointError(CheckpointError, FileNotFoundError):
    """A checkpoint that is not there; the message names the command that makes it."""

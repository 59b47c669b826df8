"""The class list of a config, as names: the one source of a dataset's classes.

A dataset's classes are the names the model's head was built for, in its order
(``metainfo=dict(classes=[...])``), never the labels an annotation file happens to hold.
A class list given on the command line (``--cfg-options 'metainfo.classes=[...]'``) goes
through MMEngine's ``DictAction``, which strips quotes and turns every number into an
``int`` or ``float`` (``['3', '7']`` arrives as ``[3, 7]``): a class list is read back
as the names those numbers were written as (``3`` is class ``'3'``).
"""

from __future__ import annotations

from collections.abc import Sequence

from .errors import ConfigError

__all__ = ['check_num_classes', 'checked_metainfo_classes', 'class_names']


def class_names(classes, where: str) -> tuple[str, ...]:
    """``classes`` as a tuple of distinct, non-empty names.

    Numbers become their text (MMEngine's ``DictAction`` parsed them from names like
    ``'3'``); anything else that is not a string is an error naming ``where`` (the config
    field, e.g. ``'Thumos14Dataset metainfo.classes'``).
    """
    if isinstance(classes, str) or not isinstance(classes, Sequence) or not classes:
        raise ConfigError(
            f"{where}: expected a non-empty list of class names (the classes the model's "
            f'head was built for, in its order), got {classes!r}'
        )
    names = []
    for index, name in enumerate(classes):
        if isinstance(name, (bool, int, float)):
            name = str(name)  # '3' given with --cfg-options arrives as 3
        if not isinstance(name, str) or not name:
            raise ConfigError(
                f'{where}[{index}]: expected a class name (a non-empty string), got {name!r}'
            )
        names.append(name)
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigError(f'{where}: class names must be distinct, {repeated} repeat')
    return tuple(names)


def check_num_classes(classes: Sequence[str], num_classes: int | None, where: str) -> None:
    """``num_classes`` (the head's, as the config gives it to the dataset) must count
    ``classes``: a head of another size predicts indices that name no class, or never
    predicts some."""
    if num_classes is not None and int(num_classes) != len(classes):
        raise ConfigError(
            f"{where}: num_classes is {num_classes} (the model head's) but metainfo.classes "
            f'names {len(classes)} classes {list(classes)}; set both to the same classes'
        )


def checked_metainfo_classes(loaded: dict, num_classes: int | None, owner: str) -> dict:
    """A dataset's loaded metainfo with ``classes`` read back as names and counted against
    ``num_classes``; ``owner`` (the dataset class's name) names the field in errors."""
    loaded['classes'] = class_names(loaded.get('classes'), f'{owner} metainfo.classes')
    check_num_classes(loaded['classes'], num_classes, owner)
    return loaded

"""Freezing by walking modules, and keeping frozen modules in ``eval()``."""

from __future__ import annotations

from collections.abc import Iterable

from torch import nn


def freeze_modules(root: nn.Module, keep_trainable: Iterable[nn.Module] = ()) -> list[nn.Module]:
    """Freeze every module under ``root`` except the subtrees in ``keep_trainable``.

    Modules are compared by identity, never by name. Returns the frozen modules, whose
    ``training`` flag :func:`hold_eval` resets after each ``train()`` call.
    """
    kept = {id(sub) for module in keep_trainable for sub in module.modules()}
    frozen = []
    for module in root.modules():
        if id(module) in kept:
            continue
        for param in module.parameters(recurse=False):
            param.requires_grad_(False)
        frozen.append(module)
    return frozen


def hold_eval(frozen: Iterable[nn.Module]) -> None:
    """Put frozen modules back in eval mode, one module at a time (not recursively, so a
    trainable head inside a frozen model keeps its own mode)."""
    for module in frozen:
        module.training = False


def count_parameters(modules: Iterable[nn.Module], trainable_only: bool = False) -> int:
    """Parameters of ``modules``, each tensor counted once even when shared."""
    seen, total = set(), 0
    for module in modules:
        for param in module.parameters():
            if id(param) in seen or (trainable_only and not param.requires_grad):
                continue
            seen.add(id(param))
            total += param.numel()
    return total

"""The foundation ViT's backbone, written where the ViT task configs load it from.

The recognition models (SSv2, UCF101, HMDB51) share the foundation's geometry: 32x32 frames
in 8x8 patches, layer scale, a mean-pooled final norm. The AVA detector reads 64x64 frames in
16x16 patches, without layer scale, and normalises every token. Both have the same 4x4x4
token grid and the same blocks, so one backbone serves both: for AVA's geometry the patch
kernel is spread over 2x2 pixels (a 16x16 patch of a 64x64 frame then gives exactly what the
8x8 kernel gives on the frame average-pooled to 32x32) and the final norm's affine is the one
the foundation learned. AVA's variant config keeps layer scale on, so every key matches.
"""

from __future__ import annotations

import os
import os.path as osp

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch import nn

from ..registry import HOOKS

BACKBONE_FILE = 'backbone.pth'
BACKBONE_PATCH16_FILE = 'backbone_patch16.pth'
PATCH_KERNEL = 'patch_embed.projection.weight'


def backbone_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """``model.backbone``'s state dict, detached on the CPU."""
    if is_model_wrapper(model):
        model = model.module
    if not isinstance(getattr(model, 'backbone', None), nn.Module):
        raise TypeError(f'{type(model).__name__} has no backbone to export')
    return {k: v.detach().cpu().clone() for k, v in model.backbone.state_dict().items()}


def to_patch_size(state: dict[str, torch.Tensor], patch_size: int) -> dict[str, torch.Tensor]:
    """``state`` with its patch kernel ``(C, 3, t, p, p)`` spread to ``patch_size``, a
    multiple ``k * p``: each weight covers ``k x k`` pixels, divided by ``k**2``, so the new
    patch of a frame ``k`` times larger sees what the old one saw on the pooled frame."""
    if PATCH_KERNEL not in state:
        raise KeyError(f'backbone state has no {PATCH_KERNEL!r}: not an mmaction2 ViT')
    kernel = state[PATCH_KERNEL]
    old = kernel.shape[-1]
    if patch_size % old:
        raise ValueError(f'patch_size {patch_size} is not a multiple of the kernel size {old}')
    factor = patch_size // old
    spread = kernel.repeat_interleave(factor, -1).repeat_interleave(factor, -2) / factor**2
    return {**state, PATCH_KERNEL: spread}


def to_token_norm(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``state`` of a mean-pooling ViT (``fc_norm``) for one that normalises every token
    (``norm``, ``use_mean_pooling=False``): the same LayerNorm affine."""
    out = {k: v for k, v in state.items() if not k.startswith('fc_norm.')}
    for name in ('weight', 'bias'):
        if f'fc_norm.{name}' not in state:
            raise KeyError(f'backbone state has no fc_norm.{name}: not a mean-pooling ViT')
        out[f'norm.{name}'] = state[f'fc_norm.{name}']
    return out


def save_backbone(state: dict[str, torch.Tensor], path: str, source: str) -> None:
    """Write ``{'state_dict': state, 'meta': {...}}`` atomically (a rename)."""
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    tmp = f'{path}.tmp'
    torch.save(dict(state_dict=state, meta=dict(source=source)), tmp)
    os.replace(tmp, path)


@HOOKS.register_module()
class ExportFoundationBackboneHook(Hook):
    """After the last epoch, write the backbone as ``<work_dir>/backbone.pth`` (the geometry
    trained) and ``<work_dir>/backbone_patch16.pth`` (AVA's: 16x16 patches, token norm)."""

    priority = 'LOW'

    def __init__(self, patch16: bool = True):
        self.patch16 = bool(patch16)

    def after_train(self, runner) -> None:
        state = backbone_state(runner.model)
        source = f'{runner.work_dir} epoch {runner.epoch}'
        path = osp.join(runner.work_dir, BACKBONE_FILE)
        save_backbone(state, path, source)
        runner.logger.info(f'foundation backbone written to {path}')
        if self.patch16:
            path16 = osp.join(runner.work_dir, BACKBONE_PATCH16_FILE)
            save_backbone(to_token_norm(to_patch_size(state, 16)), path16, source)
            runner.logger.info(f'foundation backbone (16x16 patches) written to {path16}')

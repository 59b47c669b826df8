"""Prompt files: the small artefact a DLM run leaves for the plain primary model.

A prompt file holds the inference prompts ``(M, D_p)`` (the moving average for
input-dependent mappers), the layer they join at, and the trained tensors of the run
(mapper, and head if it was trained). Nothing frozen is saved; every file is written
atomically and read with ``weights_only=True``.
"""

from __future__ import annotations

import io
import os.path as osp

import torch

from .atomic_backend import atomic_write
from .compat.safe_checkpoint import load_checkpoint_file
from .errors import CheckpointError, MissingCheckpointError

PROMPT_FILE_FORMAT = 'dlm-prompts-v1'
_REQUIRED = ('format', 'prompts', 'prompt_layer', 'meta', 'trained')


def atomic_save(obj, path: str) -> None:
    """``torch.save`` through a temporary file and a rename: a run killed mid-write
    leaves the previous file intact, never a truncated one."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    atomic_write(buffer.getvalue(), path)


def save_prompt_file(
    path: str,
    prompts: torch.Tensor,
    prompt_layer: int,
    trained: dict[str, torch.Tensor],
    meta: dict | None = None,
) -> None:
    """Write a prompt file. ``prompts`` is ``(M, D_p)``; ``trained`` maps names to tensors."""
    if prompts.dim() != 2:
        raise ValueError(f'prompts must be (M, D), got shape {tuple(prompts.shape)}')
    payload = {
        'format': PROMPT_FILE_FORMAT,
        'prompts': prompts.detach().cpu().clone(),
        'prompt_layer': int(prompt_layer),
        'trained': {k: v.detach().cpu().clone() for k, v in trained.items()},
        'meta': dict(meta or {}),
    }
    atomic_save(payload, path)


def load_prompt_file(path: str) -> dict:
    """Read and check a prompt file; errors name the file and the missing field."""
    if not osp.isfile(path):
        raise MissingCheckpointError(
            f'prompt file {path} does not exist; a DLM training run writes prompts_latest.pth '
            'into its work dir (python tools/train.py DLM_CONFIG), and '
            'python tools/export_prompts.py CONFIG CHECKPOINT --out FILE writes one'
        )
    payload = load_checkpoint_file(path)
    if not isinstance(payload, dict) or payload.get('format') != PROMPT_FILE_FORMAT:
        raise CheckpointError(
            f'{path} is not a prompt file (expected a dict with format={PROMPT_FILE_FORMAT!r}, '
            'as written by tools/export_prompts.py or PromptCheckpointHook)'
        )
    missing = [key for key in _REQUIRED if key not in payload]
    if missing:
        raise CheckpointError(f'prompt file {path} lacks the field(s) {missing}')
    prompts = payload['prompts']
    if not isinstance(prompts, torch.Tensor) or prompts.dim() != 2:
        raise CheckpointError(f'prompt file {path}: field "prompts" must be a (M, D) tensor')
    return payload

"""The base of plugins whose encoder is a video ViT (mmaction2's ``VisionTransformer``).

Such a backbone's forward pass is a tubelet patch embedding plus a learned position table,
a stack of pre-norm blocks, and a final norm. The plugin splits it at its blocks: the stem
is the embedding (the table resized to the frame size where that differs, as the backbone
itself resizes it), the encoder layers are the blocks, and prompts are prepended to the
space-time tokens. What follows the blocks (pooling, a head, a feature map for RoI heads)
is the task plugin's own.
"""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from ..models.gated_vit_block import gated_vit_block
from .base import TaskPlugin
from .token_state import TokenState


class ViTEncoderTask(TaskPlugin):
    """A task plugin on a video ViT: embedding, blocks and clip geometry.

    The backbone is ``task_model.backbone`` and has mmaction2's ``VisionTransformer``
    fields: ``patch_embed`` (its ``projection`` a ``Conv3d`` over tubelets), ``pos_embed``
    ``(1, T' * h * w, D)``, ``pos_drop``, ``grid_size``, ``patch_size``, ``embed_dims``
    and ``blocks``. Its state's ``extras['grid']`` is ``(T', h, w)``, the token grid.
    """

    injection: ClassVar = 'prepend'
    supports_prompt_gate: ClassVar[bool] = True
    can_share_encoder: ClassVar[bool] = True

    # -- geometry ---------------------------------------------------------------------
    @property
    def backbone(self) -> nn.Module:
        return self.task_model.backbone

    @property
    def embed_dim(self) -> int:
        return self.backbone.embed_dims

    @property
    def num_layers(self) -> int:
        return len(self.backbone.blocks)

    @property
    def tubelet_size(self) -> int:
        return self.backbone.patch_embed.projection.kernel_size[0]

    @property
    def clip_shape(self) -> tuple[int, int, int]:
        """``(frames, height, width)`` of the clip the ViT was built for; the frames are
        read off the position table (the backbone keeps no field for them)."""
        grid_h, grid_w = self.backbone.grid_size
        patch = self.backbone.patch_size
        frames = self.backbone.pos_embed.shape[1] // (grid_h * grid_w) * self.tubelet_size
        return frames, grid_h * patch, grid_w * patch

    def encoder_parts(self) -> dict[str, nn.Module]:
        """The transformer blocks: what hard parameter sharing trains jointly with another
        ViT task. The patch embedding stays the task's own (clip sizes differ per task)."""
        return {'model.backbone.blocks': self.backbone.blocks}

    # -- stem and layers --------------------------------------------------------------
    def embed(self, inputs: torch.Tensor) -> TokenState:
        """Patch embedding plus positions, as ``VisionTransformer.forward`` does; the views of
        a sample (``(B, V, 3, T, H, W)``) become ``B * V`` clips."""
        if inputs.ndim == 6:
            inputs = inputs.flatten(0, 1)
        if inputs.ndim != 5:
            raise ValueError(
                f'{type(self).__name__} takes (B, V, 3, T, H, W) or (B, 3, T, H, W) inputs, got '
                f'{tuple(inputs.shape)}'
            )
        patch = self.backbone.patch_size
        height, width = inputs.shape[-2] // patch, inputs.shape[-1] // patch
        tokens = self.backbone.patch_embed(inputs)[0]
        steps = tokens.shape[1] // (height * width)
        tokens = tokens + self._positions(steps, height, width)
        return TokenState(self.backbone.pos_drop(tokens), extras=dict(grid=(steps, height, width)))

    def _positions(self, steps: int, height: int, width: int) -> torch.Tensor:
        table = self.backbone.pos_embed
        grid_h, grid_w = self.backbone.grid_size
        if steps * grid_h * grid_w != table.shape[1]:
            frames = self.clip_shape[0]
            raise ValueError(
                f'{type(self).__name__}: the backbone was built for clips of {frames} '
                f'frames (tubelet {self.tubelet_size}), the input has '
                f'{steps * self.tubelet_size} (sample clip_len={frames} in the pipeline)'
            )
        if (height, width) == (grid_h, grid_w):
            return table
        # other frame sizes: the backbone's bicubic resize of the spatial table
        grid = table.reshape(steps, grid_h, grid_w, -1).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, size=(height, width), mode='bicubic', align_corners=False)
        return grid.permute(0, 2, 3, 1).reshape(1, -1, table.shape[-1])

    def run_layers(
        self, state: TokenState, start: int, stop: int, prompts=None, gate=None
    ) -> TokenState:
        """Blocks ``[start, stop)``; with a prompt ``gate`` (exact start) the prompt rows'
        attention share is gated in every block (the gate stays in the state)."""
        if not 0 <= start <= stop <= self.num_layers:
            raise ValueError(f'layers [{start}, {stop}) are outside [0, {self.num_layers}]')
        if prompts is not None:
            state = state.prepend(prompts, gate)
        tokens, gate = state.tokens, state.gate
        for index in range(start, stop):
            block = self.backbone.blocks[index]
            if gate is None or not state.num_prompts:
                tokens = block(tokens)
            else:
                tokens = gated_vit_block(block, tokens, state.num_prompts, gate.layer(index))
        return TokenState(tokens, state.num_prompts, state.extras)

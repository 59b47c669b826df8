"""Spatio-temporal action detection (AVA) as a DLM task plugin.

The task model is mmdet's ``FastRCNN`` with mmaction2's ``VisionTransformer`` backbone
(``return_feat_map=True``) and mmaction2's ``AVARoIHead``, exactly as mmaction2's VideoMAE
AVA configs build it. The tapped and prompted encoder is the ViT's blocks; prompts are
prepended to the space-time tokens and dropped before the final norm, so the RoI head
only ever pools the ``(T', H', W')`` feature map of the clip itself.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import nn

from dlm_core.models.gated_vit_block import gated_vit_block
from dlm_core.tasks import TaskPlugin, TokenState

from ..registry import MODELS, TASKS, build_in_scope


@TASKS.register_module()
class SpatioTemporalDetectionTask(TaskPlugin):
    """Wraps a ``FastRCNN`` whose backbone is a ViT; proposals come with the samples.

    Args:
        model: the detector's config (mmaction2's VideoMAE AVA config's ``model``).
    """

    injection = 'prepend'
    supports_prompt_gate = True

    def __init__(self, model: dict, **kwargs):
        super().__init__(**kwargs)
        # mmdet's detectors read train_cfg.rcnn as attributes: a plain dict will not do
        self.model = build_in_scope(MODELS, ConfigDict(model))
        backbone = self.model.backbone
        for name in ('patch_embed', 'blocks', 'pos_embed', 'norm'):
            if not hasattr(backbone, name):
                raise TypeError(
                    'SpatioTemporalDetectionTask needs a ViT backbone '
                    f'(mmaction.VisionTransformer) with "{name}"; got {type(backbone).__name__}'
                )
        if not getattr(backbone, 'return_feat_map', False) or backbone.fc_norm is not None:
            raise ValueError(
                'the AVA backbone must return its feature map: build mmaction.VisionTransformer '
                'with return_feat_map=True and use_mean_pooling=False (as the VideoMAE AVA '
                'configs do)'
            )

    # -- geometry -----------------------------------------------------------------------
    @property
    def backbone(self) -> nn.Module:
        return self.model.backbone

    @property
    def embed_dim(self) -> int:
        return self.backbone.embed_dims

    @property
    def num_layers(self) -> int:
        return len(self.backbone.blocks)

    @property
    def task_model(self) -> nn.Module:
        return self.model

    def head_modules(self) -> list[nn.Module]:
        return [self.model.roi_head]

    def encoder_parts(self) -> dict[str, nn.Module]:
        """The ViT's transformer blocks: what hard parameter sharing trains jointly with
        another ViT task. The patch embedding stays the task's own (clip sizes differ)."""
        return {'model.backbone.blocks': self.backbone.blocks}

    @property
    def clip_shape(self) -> tuple[int, int, int]:
        """``(frames, height, width)`` of the clip the ViT was built for."""
        backbone = self.backbone
        tubelet = backbone.patch_embed.projection.kernel_size[0]
        grid_h, grid_w = backbone.grid_size
        frames = backbone.pos_embed.shape[1] // (grid_h * grid_w) * tubelet
        return frames, grid_h * backbone.patch_size, grid_w * backbone.patch_size

    # -- encoder (mmaction2's VisionTransformer.forward, split at its blocks) ----------------
    def embed(self, inputs: torch.Tensor) -> TokenState:
        backbone = self.backbone
        batch, _, _, height, width = inputs.shape
        grid = (height // backbone.patch_size, width // backbone.patch_size)
        x = backbone.patch_embed(inputs)[0]
        pos_embed = backbone.pos_embed
        if grid != tuple(backbone.grid_size):
            pos_embed = pos_embed.reshape(-1, *backbone.grid_size, backbone.embed_dims)
            pos_embed = F.interpolate(
                pos_embed.permute(0, 3, 1, 2), size=grid, mode='bicubic', align_corners=False
            )
            pos_embed = pos_embed.permute(0, 2, 3, 1).flatten(1, 2)
            pos_embed = pos_embed.reshape(1, -1, backbone.embed_dims)
        x = backbone.pos_drop(x + pos_embed)
        return TokenState(x, 0, dict(grid=grid))

    def run_layers(
        self, state: TokenState, start: int, stop: int, prompts=None, gate=None
    ) -> TokenState:
        """Blocks ``[start, stop)``; a prompt ``gate`` (exact start) gates the prompt
        rows' attention share in every block."""
        if prompts is not None:
            state = state.prepend(prompts, gate)
        x, gate = state.tokens, state.gate
        for index in range(start, stop):
            block = self.backbone.blocks[index]
            if gate is None or not state.num_prompts:
                x = block(x)
            else:
                x = gated_vit_block(block, x, state.num_prompts, gate.layer(index))
        return TokenState(x, state.num_prompts, state.extras)

    def tokens(self, state: TokenState) -> torch.Tensor:
        return state.tokens

    def feature_map(self, state: TokenState) -> torch.Tensor:
        """``(B, C, T', H', W')``: the final norm and reshape of the backbone, prompts dropped."""
        x = self.backbone.norm(state.task_tokens)
        height, width = state.extras['grid']
        x = x.reshape(x.shape[0], -1, height, width, self.embed_dim)
        return x.permute(0, 4, 1, 2, 3)

    # -- head (mmdet's TwoStageDetector.loss / predict with given proposals) ------------------
    @staticmethod
    def _proposals(data_samples) -> list[InstanceData]:
        # AVARoIHead.loss renames the proposals' "bboxes" to "priors" in place: hand it
        # copies (and accept samples that an mmdet detector has already renamed)
        return [
            InstanceData(bboxes=s.proposals.get('bboxes', s.proposals.get('priors')).clone())
            for s in data_samples
        ]

    def loss(self, state: TokenState, data_samples: list) -> dict:
        x = self.feature_map(state)
        return self.model.roi_head.loss(x, self._proposals(data_samples), data_samples)

    def predict(self, state: TokenState, data_samples: list) -> list:
        x = self.feature_map(state)
        results = self.model.roi_head.predict(
            x, self._proposals(data_samples), data_samples, rescale=True
        )
        return self.model.add_pred_to_datasample(data_samples, results)

    # -- views --------------------------------------------------------------------------
    def _mean_std(self, like: torch.Tensor):
        pre = self.data_preprocessor
        mean = getattr(pre, 'mean', None)
        std = getattr(pre, 'std', None)
        if mean is None or std is None:
            return None, None
        return mean.reshape(1, 3, 1, 1, 1).to(like), std.reshape(1, 3, 1, 1, 1).to(like)

    def shared_sample(self, inputs: torch.Tensor, data_samples: list) -> dict:
        """The clip as frames ``(B, T, 3, H, W)`` in [0, 1] (normalisation undone) and its
        frame rate (the dataset's fps over the sampling interval, where the samples say)."""
        mean, std = self._mean_std(inputs)
        frames = inputs if mean is None else inputs * std + mean
        sample = dict(frames=(frames / 255.0).clamp(0, 1).permute(0, 2, 1, 3, 4))
        meta = data_samples[0].metainfo if data_samples else {}
        if 'fps' in meta and 'frame_interval' in meta:
            sample['fps'] = float(meta['fps']) / float(meta['frame_interval'])
        return sample

    def view(self, sample: dict) -> torch.Tensor:
        """Another task's frames resampled to the ViT's clip length and size, normalised."""
        frames = self.require(sample, 'frames')
        if frames.ndim != 5 or frames.shape[2] != 3:
            raise ValueError(
                f'{type(self).__name__} needs frames (B, T, 3, H, W); got {tuple(frames.shape)}'
            )
        length, height, width = self.clip_shape
        index = torch.linspace(0, frames.shape[1] - 1, length).round().long().to(frames.device)
        clip = frames[:, index].permute(0, 2, 1, 3, 4)  # (B, 3, T, H, W)
        clip = F.interpolate(
            clip.float(), size=(length, height, width), mode='trilinear', align_corners=False
        )
        clip = clip * 255.0
        mean, std = self._mean_std(clip)
        return clip if mean is None else (clip - mean) / std

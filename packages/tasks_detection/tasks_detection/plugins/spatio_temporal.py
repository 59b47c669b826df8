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

from dlm_core.tasks import TokenState, ViTEncoderTask
from dlm_core.tasks.frames import frames_to_inputs, inputs_to_frames, sample_frames

from ..registry import MODELS, TASKS, build_in_scope


@TASKS.register_module()
class SpatioTemporalDetectionTask(ViTEncoderTask):
    """Wraps a ``FastRCNN`` whose backbone is a ViT; proposals come with the samples.

    Args:
        model: the detector's config (mmaction2's VideoMAE AVA config's ``model``).
    """

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

    @property
    def task_model(self) -> nn.Module:
        return self.model

    def head_modules(self) -> list[nn.Module]:
        return [self.model.roi_head]

    def feature_map(self, state: TokenState) -> torch.Tensor:
        """``(B, C, T', H', W')``: the final norm and reshape of the backbone, prompts dropped."""
        x = self.backbone.norm(state.task_tokens)
        _, height, width = state.extras['grid']
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
    def shared_sample(self, inputs: torch.Tensor, data_samples: list) -> dict:
        """The clip as frames ``(B, T, 3, H, W)`` in [0, 1] (normalisation undone) and its
        frame rate (the dataset's fps over the sampling interval, where the samples say)."""
        sample = dict(frames=inputs_to_frames(inputs, self.data_preprocessor, 'NCTHW'))
        meta = data_samples[0].metainfo if data_samples else {}
        if 'fps' in meta and 'frame_interval' in meta:
            sample['fps'] = float(meta['fps']) / float(meta['frame_interval'])
        return sample

    def view(self, sample: dict) -> torch.Tensor:
        """Another task's frames spread from its first frame to its last, resized (whole
        frames) to the ViT's clip, normalised (``(B, 3, T, H, W)``)."""
        length, height, width = self.clip_shape
        frames = sample_frames(self.require_frames(sample), length, 'ends')
        # one trilinear resize of the clip, its length kept: a per-frame bilinear resize up
        # to rounding (1e-7), kept so that trained DLM runs reproduce bit for bit
        clip = F.interpolate(
            frames.transpose(1, 2).float(),
            (length, height, width),
            mode='trilinear',
            align_corners=False,
        )
        return frames_to_inputs(clip.transpose(1, 2), self.data_preprocessor, 'NCTHW')

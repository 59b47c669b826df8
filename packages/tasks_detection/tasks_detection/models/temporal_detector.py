"""An ActionFormer-style temporal action detector over per-video snippet features.

Snippet features ``(B, C, T)`` -> embedding -> ``num_layers`` transformer layers at full
resolution (the encoder, which DLM taps and prompts) -> feature pyramid -> per-step class
scores and distances to the boundaries at every level -> decoding and Soft-NMS.

The sequence lives on the feature grid: step ``t`` covers the snippet that starts at frame
``t * feat_stride``; a segment in seconds maps to ``(sec * fps - num_frames / 2) / feat_stride``
(ActionFormer's convention for THUMOS14). The data samples carry ``fps``,
``feat_stride``, ``num_frames``, ``duration`` and ``feat_offset`` (the first step of a
crop) so that predictions come out in seconds.
"""

from __future__ import annotations

import torch
from mmengine.model import BaseModel
from mmengine.structures import InstanceData
from torch import nn

from ..registry import MODELS, build_in_scope
from .temporal_heads import TemporalClsHead, TemporalPyramid, TemporalRegHead
from .temporal_layers import MaskedTransformerLayer, SnippetEmbedding
from .temporal_losses import diou_loss_1d, sigmoid_focal_loss
from .temporal_nms import batched_nms_1d
from .temporal_targets import assign_targets, default_regression_ranges, level_points

DEFAULT_TEST_CFG = dict(
    pre_nms_thresh=0.001,
    pre_nms_topk=2000,
    min_duration=0.05,
    nms=dict(method='soft', iou_threshold=0.1, sigma=0.5, min_score=0.001, max_segments=200),
)


@MODELS.register_module()
class TemporalActionDetector(BaseModel):
    """ActionFormer-style detector (Zhang et al., ECCV 2022) with a global-attention encoder.

    Args:
        in_channels: channels ``C`` of the snippet features.
        num_classes: action classes (no background class: scores are sigmoids).
        embed_dims, num_layers, num_heads, mlp_ratio, dropout: the encoder.
        num_levels: pyramid levels (strides ``1, 2, ..., 2**(num_levels-1)``).
        regression_ranges: per level ``(low, high)`` on the feature grid.
        center_radius: centre sampling radius, in strides.
        loss_weights: ``dict(cls=1.0, reg=1.0)``.
        test_cfg: decoding and NMS (see ``DEFAULT_TEST_CFG``).
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        embed_dims: int = 256,
        num_layers: int = 6,
        num_heads: int = 4,
        mlp_ratio: float = 4.0,
        dropout: float = 0.1,
        num_embed_convs: int = 2,
        num_levels: int = 6,
        regression_ranges: list | None = None,
        center_radius: float = 1.5,
        head_convs: int = 2,
        focal_alpha: float = 0.25,
        focal_gamma: float = 2.0,
        loss_weights: dict | None = None,
        test_cfg: dict | None = None,
        data_preprocessor: dict | None = None,
        init_cfg=None,
    ):
        data_preprocessor = data_preprocessor or dict(type='TemporalFeaturePreprocessor')
        if isinstance(data_preprocessor, dict):
            data_preprocessor = build_in_scope(MODELS, data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.embed_dims = embed_dims
        self.num_levels = num_levels
        self.regression_ranges = [
            tuple(r) for r in (regression_ranges or default_regression_ranges(num_levels))
        ]
        if len(self.regression_ranges) != num_levels:
            raise ValueError(
                f'regression_ranges has {len(self.regression_ranges)} entries for '
                f'num_levels={num_levels}'
            )
        self.center_radius = center_radius
        self.focal_alpha, self.focal_gamma = focal_alpha, focal_gamma
        self.loss_weights = dict(cls=1.0, reg=1.0, **(loss_weights or {}))
        self.test_cfg = {**DEFAULT_TEST_CFG, **(test_cfg or {})}
        self.embedding = SnippetEmbedding(in_channels, embed_dims, num_embed_convs)
        self.layers = nn.ModuleList(
            MaskedTransformerLayer(embed_dims, num_heads, mlp_ratio, dropout)
            for _ in range(num_layers)
        )
        self.pyramid = TemporalPyramid(embed_dims, num_levels, num_heads, mlp_ratio)
        self.cls_head = TemporalClsHead(embed_dims, num_classes, head_convs)
        self.reg_head = TemporalRegHead(embed_dims, num_levels, head_convs)

    # -- the parts a task plugin drives ----------------------------------------------------
    @property
    def max_stride(self) -> int:
        return 2 ** (self.num_levels - 1)

    def head_modules(self) -> list[nn.Module]:
        return [self.pyramid, self.cls_head, self.reg_head]

    def embed(self, inputs: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """``inputs = dict(features=(B, C, T), masks=(B, T))`` -> tokens and masks, padded
        to a multiple of the coarsest stride so every pyramid level lines up."""
        features = inputs['features']
        masks = inputs.get('masks')
        if masks is None:
            masks = features.new_ones(features.shape[0], features.shape[2], dtype=torch.bool)
        if features.shape[1] != self.in_channels:
            raise ValueError(
                f'TemporalActionDetector expects features of shape (B, {self.in_channels}, T), '
                f'got {tuple(features.shape)}'
            )
        pad = -features.shape[2] % self.max_stride
        if pad:
            features = nn.functional.pad(features, (0, pad))
            masks = nn.functional.pad(masks, (0, pad), value=False)
        masks = masks.bool()
        return self.embedding(features, masks), masks

    def encode(self, tokens, masks, start=0, stop=None, num_prompts=0, gate=None):
        """Encoder layers ``[start, stop)``; with a prompt ``gate`` (a ``PromptGate`` of the
        DLM core) the first ``num_prompts`` rows are prompts whose attention share is gated."""
        stop = len(self.layers) if stop is None else stop
        for index in range(start, stop):
            layer_gate = gate.layer(index) if gate is not None and num_prompts else None
            tokens = self.layers[index](tokens, masks, num_prompts, layer_gate)
        return tokens

    def head_forward(self, tokens: torch.Tensor, masks: torch.Tensor):
        """Per level: class logits ``(B, N_l, C)``, distances ``(B, N_l, 2)``, masks."""
        levels, level_masks = self.pyramid(tokens, masks)
        return self.cls_head(levels, level_masks), self.reg_head(levels, level_masks), level_masks

    def _points(self, level_masks):
        strides = [2**i for i in range(self.num_levels)]
        lengths = [m.shape[1] for m in level_masks]
        return level_points(lengths, strides, self.regression_ranges, level_masks[0].device)

    # -- loss ---------------------------------------------------------------------------
    def head_loss(self, tokens, masks, data_samples) -> dict:
        cls_logits, offsets, level_masks = self.head_forward(tokens, masks)
        points = self._points(level_masks)
        cls_logits = torch.cat(cls_logits, dim=1)  # (B, P, C)
        offsets = torch.cat(offsets, dim=1)  # (B, P, 2)
        valid = torch.cat(level_masks, dim=1)  # (B, P)
        cls_targets, reg_targets = [], []
        for sample in data_samples:
            gt = sample.gt_instances
            cls_t, reg_t = assign_targets(
                points,
                gt.segments.to(points),
                gt.labels.to(points.device),
                self.num_classes,
                self.center_radius,
            )
            cls_targets.append(cls_t)
            reg_targets.append(reg_t)
        cls_targets, reg_targets = torch.stack(cls_targets), torch.stack(reg_targets)
        positive = (cls_targets.sum(-1) > 0) & valid
        normaliser = positive.sum().clamp(min=1).to(cls_logits.dtype)
        loss_cls = sigmoid_focal_loss(
            cls_logits[valid], cls_targets[valid], self.focal_alpha, self.focal_gamma
        ).sum()
        if positive.any():
            loss_reg = diou_loss_1d(offsets[positive], reg_targets[positive]).sum()
        else:
            loss_reg = offsets.sum() * 0
        return dict(
            loss_cls=self.loss_weights['cls'] * loss_cls / normaliser,
            loss_reg=self.loss_weights['reg'] * loss_reg / normaliser,
        )

    # -- inference ----------------------------------------------------------------------
    def head_predict(self, tokens, masks, data_samples) -> list:
        cls_logits, offsets, level_masks = self.head_forward(tokens, masks)
        points = self._points(level_masks)
        scores = torch.cat(cls_logits, dim=1).sigmoid()
        offsets = torch.cat(offsets, dim=1)
        valid = torch.cat(level_masks, dim=1)
        for index, sample in enumerate(data_samples):
            sample.pred_instances = self._decode(
                scores[index], offsets[index], valid[index], points, sample.metainfo
            )
        return data_samples

    def _decode(self, scores, offsets, valid, points, meta) -> InstanceData:
        cfg = self.test_cfg
        scores = scores * valid[:, None].to(scores.dtype)
        flat = scores.flatten()
        keep = torch.nonzero(flat > cfg['pre_nms_thresh']).squeeze(1)
        keep = keep[flat[keep].argsort(descending=True)[: cfg['pre_nms_topk']]]
        point_index, labels = keep // self.num_classes, keep % self.num_classes
        position, stride = points[point_index, 0], points[point_index, 3]
        starts = position - offsets[point_index, 0] * stride
        ends = position + offsets[point_index, 1] * stride
        # feature grid -> seconds (ActionFormer's convention), relative to the crop
        fps, feat_stride = float(meta['fps']), float(meta['feat_stride'])
        half_snippet = 0.5 * float(meta['num_frames'])
        offset = float(meta.get('feat_offset', 0))
        segments = torch.stack([starts, ends], dim=1)
        segments = ((segments + offset) * feat_stride + half_snippet) / fps
        segments = segments.clamp(min=0, max=float(meta['duration']))
        long_enough = (segments[:, 1] - segments[:, 0]) > cfg['min_duration']
        segments, labels, flat_scores = segments[long_enough], labels[long_enough], flat[keep]
        flat_scores = flat_scores[long_enough]
        segments, flat_scores, labels = batched_nms_1d(
            segments.detach(), flat_scores.detach(), labels, **cfg['nms']
        )
        return InstanceData(segments=segments, scores=flat_scores, labels=labels)

    # -- MMEngine -----------------------------------------------------------------------
    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        tokens, masks = self.embed(inputs)
        tokens = self.encode(tokens, masks)
        if mode == 'loss':
            return self.head_loss(tokens, masks, data_samples)
        if mode == 'predict':
            return self.head_predict(tokens, masks, data_samples)
        if mode == 'tensor':
            return self.head_forward(tokens, masks)
        raise ValueError(f'mode must be "loss", "predict" or "tensor", got {mode!r}')

"""A feature-based action segmentation model in the shape of an mmaction2 recognizer."""

from __future__ import annotations

import torch
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement

from ..registry import MODELS


@MODELS.register_module()
class ActionSegmentor(BaseModel):
    """Per-frame features in, per-frame labels out (``loss`` / ``predict`` / ``tensor``).

    ``inputs`` is what :class:`ActionSegDataPreprocessor` makes: ``dict(features (B, C, T),
    masks (B, T))``. Each data sample holds ``gt_labels`` at the *full* frame rate of its
    ground-truth file and ``sample_rate`` in its metainfo: the loss compares the features'
    frames with every ``sample_rate``-th label, and predictions are repeated
    ``sample_rate`` times and cut to the ground truth's length (as ASFormer evaluates
    50Salads features taken every 2nd frame).

    Args:
        backbone: the network, e.g. ``dict(type='ASFormer', ...)``; it returns stage
            logits ``(S, B, K, T)`` and the last stage is the prediction.
        loss: the training loss on all stages.
        data_preprocessor: pads and masks a batch.
    """

    def __init__(
        self,
        backbone: dict,
        loss: dict | None = None,
        data_preprocessor: dict | None = None,
        init_cfg=None,
    ):
        preprocessor = MODELS.build(data_preprocessor or dict(type='ActionSegDataPreprocessor'))
        super().__init__(data_preprocessor=preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.loss_module = MODELS.build(loss or dict(type='ActionSegmentationLoss'))

    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        features, masks = unpack_inputs(inputs)
        stage_logits = self.backbone(features, masks)
        if mode == 'tensor':
            return stage_logits
        if mode == 'loss':
            return self.loss_from_logits(stage_logits, masks, data_samples)
        if mode == 'predict':
            return self.predict_from_logits(stage_logits, masks, data_samples)
        raise ValueError(f'mode must be "loss", "predict" or "tensor", got {mode!r}')

    def loss_from_logits(self, stage_logits, masks, data_samples) -> dict:
        """The loss of stage logits ``(S, B, K, T)`` against the samples' labels."""
        targets = frame_targets(data_samples, masks)
        return self.loss_module(stage_logits, targets, masks)

    def predict_from_logits(self, stage_logits, masks, data_samples=None) -> list:
        """Data samples with ``pred_labels`` at the ground truth's frame rate."""
        labels = stage_logits[-1].argmax(dim=1)
        if data_samples is None:
            data_samples = [BaseDataElement() for _ in range(labels.shape[0])]
        for index, sample in enumerate(data_samples):
            valid = int(masks[index].sum())
            rate = int(sample.metainfo.get('sample_rate', 1))
            pred = labels[index, :valid].repeat_interleave(rate)
            gt = sample.get('gt_labels')
            length = len(gt) if gt is not None else valid * rate
            if len(pred) < length:  # never when the features cover the labels
                pred = torch.cat([pred, pred[-1:].expand(length - len(pred))])
            sample.pred_labels = pred[:length].cpu()
        return data_samples


def unpack_inputs(inputs) -> tuple[torch.Tensor, torch.Tensor]:
    """``(features (B, C, T), masks (B, T) bool)`` from a preprocessed batch."""
    if isinstance(inputs, torch.Tensor):
        return inputs, torch.ones(inputs.shape[0], inputs.shape[2], dtype=torch.bool)
    if not isinstance(inputs, dict) or 'features' not in inputs:
        raise TypeError(
            'action segmentation inputs must be dict(features=(B, C, T), masks=(B, T)) '
            f'(what ActionSegDataPreprocessor makes), got {type(inputs).__name__}'
        )
    features = inputs['features']
    masks = inputs.get('masks')
    if masks is None:
        masks = torch.ones(features.shape[0], features.shape[2], dtype=torch.bool)
    return features, masks.to(features.device).bool()


def frame_targets(data_samples, masks: torch.Tensor) -> torch.Tensor:
    """``(B, T)`` labels at the features' rate (``-100`` on padding)."""
    if data_samples is None:
        raise ValueError('the action segmentation loss needs data samples with gt_labels')
    targets = torch.full(masks.shape, -100, dtype=torch.long, device=masks.device)
    for index, sample in enumerate(data_samples):
        gt = sample.get('gt_labels')
        if gt is None:
            raise KeyError(f'data sample {index} has no gt_labels')
        rate = int(sample.metainfo.get('sample_rate', 1))
        labels = torch.as_tensor(gt, dtype=torch.long, device=masks.device)[::rate]
        valid = int(masks[index].sum())
        if len(labels) != valid:
            raise ValueError(
                f'video {sample.metainfo.get("video", index)}: {valid} feature frames but '
                f'{len(labels)} labels after taking every {rate}-th of {len(gt)}'
            )
        targets[index, :valid] = labels
    return targets

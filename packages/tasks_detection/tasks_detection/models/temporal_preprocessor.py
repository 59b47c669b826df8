"""Batches variable-length snippet feature sequences: pad to the longest, keep a mask."""

from __future__ import annotations

import torch
from mmengine.model import BaseDataPreprocessor

from ..registry import MODELS


@MODELS.register_module()
class TemporalFeaturePreprocessor(BaseDataPreprocessor):
    """``inputs``: a list of ``(C, T_i)`` tensors, or of dicts holding ``features`` and
    ``frames (T_i, 3, H, W)`` (uint8, or floats in [0, 1]). Output: ``dict(features=(B, C, T),
    masks=(B, T))`` plus ``frames (B, T, 3, H, W)`` in [0, 1] when every item has them,
    zero-padded to ``T = max T_i`` rounded up to ``pad_multiple``. Videos are untrimmed and
    of different lengths, so the mask is what keeps padded steps out of attention, losses
    and predictions.
    """

    def __init__(self, pad_multiple: int = 1, non_blocking: bool = False):
        super().__init__(non_blocking=non_blocking)
        self.pad_multiple = pad_multiple

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        items = data['inputs']
        if isinstance(items, dict):
            if isinstance(items.get('features'), torch.Tensor):  # already batched
                return dict(inputs=items, data_samples=data.get('data_samples'))
            # pseudo_collate turns the samples' dicts into one dict of lists
            items = [dict(zip(items, values)) for values in zip(*items.values())]
        if isinstance(items, torch.Tensor):
            items = list(items)
        items = [item if isinstance(item, dict) else dict(features=item) for item in items]
        lengths = [item['features'].shape[-1] for item in items]
        length = max(lengths)
        length += -length % self.pad_multiple
        first = items[0]['features']
        features = torch.zeros(len(items), first.shape[0], length, device=first.device)
        masks = torch.zeros(len(items), length, dtype=torch.bool, device=first.device)
        for index, (item, size) in enumerate(zip(items, lengths)):
            features[index, :, :size] = item['features'].float()
            masks[index, :size] = True
        batch = dict(features=features, masks=masks)
        if all('frames' in item for item in items):
            shape = items[0]['frames'].shape[1:]
            frames = torch.zeros(len(items), length, *shape, device=first.device)
            for index, (item, size) in enumerate(zip(items, lengths)):
                clip = item['frames'].float()
                frames[index, :size] = clip / 255 if item['frames'].dtype == torch.uint8 else clip
            batch['frames'] = frames
        return dict(inputs=batch, data_samples=data.get('data_samples'))

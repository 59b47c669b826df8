"""Batching variable-length videos: pad the features, keep a mask of the valid frames."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from mmengine.model import BaseDataPreprocessor

from ..registry import MODELS


@MODELS.register_module()
class ActionSegDataPreprocessor(BaseDataPreprocessor):
    """Turns collated samples into ``inputs = dict(features, masks[, frames])``.

    ``features``: the per-video ``(C, T_i)`` tensors zero-padded to ``(B, C, T_max)``;
    ``masks``: ``(B, T_max)`` bool, True on valid frames; ``frames`` (only when the
    pipeline loads a clip of frames for other tasks' views): ``(B, T, 3, H, W)`` float in
    [0, 1]. A ready ``(B, C, T)`` tensor passes through with an all-valid mask.
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        inputs = data['inputs']
        if isinstance(inputs, torch.Tensor):
            inputs = dict(features=inputs)
        elif isinstance(inputs, (list, tuple)):  # a list of per-sample dicts
            inputs = {key: [item[key] for item in inputs] for key in inputs[0]}
        features = inputs['features']
        if isinstance(features, torch.Tensor):
            batch = features.float()
            masks = inputs.get('masks')
            if masks is None:
                masks = torch.ones(batch.shape[0], batch.shape[2], dtype=torch.bool)
        else:
            batch, masks = pad_features(list(features))
        packed = dict(features=batch, masks=masks.to(batch.device))
        frames = inputs.get('frames')
        if frames is not None:
            if not isinstance(frames, torch.Tensor):
                shapes = {tuple(f.shape) for f in frames}
                if len(shapes) > 1:
                    raise ValueError(
                        f'clips of frames in one batch must share their shape (T, 3, H, W), '
                        f'got {sorted(shapes)}: sample the same clip_len and resize them'
                    )
                frames = torch.stack(list(frames))
            if not frames.is_floating_point():
                frames = frames.float() / 255.0
            packed['frames'] = frames.to(batch.device)
        return dict(inputs=packed, data_samples=data.get('data_samples'))


def pad_features(features: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """``[(C, T_i)]`` to zero-padded ``(B, C, T_max)`` and the ``(B, T_max)`` valid mask."""
    channels = {f.shape[0] for f in features}
    if len(channels) > 1 or any(f.dim() != 2 for f in features):
        raise ValueError(
            f'features of one batch must all be (C, T) with the same C, got shapes '
            f'{[tuple(f.shape) for f in features]}'
        )
    length = max(f.shape[1] for f in features)
    batch = torch.stack([F.pad(f.float(), (0, length - f.shape[1])) for f in features])
    masks = torch.zeros(len(features), length, dtype=torch.bool, device=batch.device)
    for index, f in enumerate(features):
        masks[index, : f.shape[1]] = True
    return batch, masks

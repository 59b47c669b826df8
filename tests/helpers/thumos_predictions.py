"""THUMOS14 detections as the temporal detector returns them, for the metric tests."""

import numpy as np
import torch
from mmengine.structures import InstanceData


def predict(predictions):
    """Data samples as the detector returns them (class indices of the model's head), from
    ``predictions``: video id -> rows of (start, end, class index, score)."""
    samples = []
    for vid, items in predictions.items():
        items = np.asarray(items, dtype=float).reshape(-1, 4)
        pred = InstanceData(
            segments=torch.tensor(items[:, :2]),
            labels=torch.tensor(items[:, 2]).long(),
            scores=torch.tensor(items[:, 3]),
        )
        samples.append(dict(video_id=vid, pred_instances=pred))
    return samples

"""Loading one video's features at the model's sample rate."""

from __future__ import annotations

import numpy as np
from mmcv.transforms import BaseTransform

from ...registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadSegmentationFeatures(BaseTransform):
    """Reads ``feature_path`` (``(C, T)`` ``.npy``) into ``features``: float32, every
    ``sample_rate``-th frame of the first ``num_frames`` (as ASFormer reads 50Salads).

    Required keys: ``feature_path``, ``num_frames``, ``sample_rate``.
    Added keys: ``features``.
    """

    def transform(self, results: dict) -> dict:
        path = results['feature_path']
        features = np.load(path, mmap_mode='r')
        if features.ndim != 2:
            raise ValueError(f'{path}: features must be (C, T), got shape {features.shape}')
        rate = int(results.get('sample_rate', 1))
        num_frames = int(results.get('num_frames', features.shape[1]))
        results['features'] = np.ascontiguousarray(features[:, :num_frames:rate], np.float32)
        return results

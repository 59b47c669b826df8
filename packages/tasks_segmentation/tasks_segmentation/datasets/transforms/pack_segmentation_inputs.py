"""Packing a video into ``inputs`` and a data sample for :class:`ActionSegmentor`."""

from __future__ import annotations

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import BaseDataElement

from ...registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackSegmentationInputs(BaseTransform):
    """``inputs = dict(features (C, T)[, frames (T', 3, H, W) uint8])`` and a data sample
    with ``gt_labels`` (full frame rate) and the metainfo the model and metric need.

    ``frames`` come from a frame-loading pipeline (``imgs``, e.g. mmaction2's
    ``DecordInit`` + ``UniformSample`` + ``DecordDecode``): the clip that other tasks'
    models see of this sample. Its ``clip_fps`` is the frame rate of that clip.
    """

    META_KEYS = ('video', 'num_frames', 'sample_rate', 'fps')

    def transform(self, results: dict) -> dict:
        inputs = dict(features=torch.from_numpy(np.asarray(results['features'])))
        metainfo = {key: results[key] for key in self.META_KEYS if key in results}
        if 'imgs' in results:
            frames = np.stack([np.asarray(img) for img in results['imgs']])
            if frames.ndim != 4 or frames.shape[-1] != 3:
                raise ValueError(
                    f'{results.get("filename", "frames")}: expected frames (T, H, W, 3), got '
                    f'{frames.shape}'
                )
            inputs['frames'] = torch.from_numpy(frames).permute(0, 3, 1, 2).contiguous()
            total = results.get('total_frames', results.get('num_frames'))
            fps = results.get('avg_fps', results.get('fps'))
            if total and fps:
                metainfo['clip_fps'] = float(fps) * len(frames) / float(total)
        sample = BaseDataElement(metainfo=metainfo)
        if 'gt_labels' in results:
            sample.gt_labels = torch.as_tensor(np.asarray(results['gt_labels']), dtype=torch.long)
        return dict(inputs=inputs, data_samples=sample)

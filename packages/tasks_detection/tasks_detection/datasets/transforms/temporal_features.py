"""Pipeline steps for snippet-feature datasets (THUMOS14): load, crop, pack."""

from __future__ import annotations

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import InstanceData

from ...registry import TRANSFORMS

#: Metainfo every temporal-detection sample carries (seconds <-> feature grid).
META_KEYS = ('video_id', 'duration', 'fps', 'feat_stride', 'num_frames', 'feat_len', 'feat_offset')


@TRANSFORMS.register_module()
class LoadSnippetFeatures(BaseTransform):
    """Read ``feat_path`` (``(T, C)`` .npy) into ``features (C, T)`` and map the segments
    from seconds to the feature grid: ``(sec * fps - num_frames / 2) / feat_stride``.

    Args:
        downsample_rate: keep every n-th step (the feature stride grows accordingly).
    """

    def __init__(self, downsample_rate: int = 1):
        self.downsample_rate = downsample_rate

    def transform(self, results: dict) -> dict:
        path = results['feat_path']
        try:
            features = np.load(path)
        except (OSError, ValueError) as err:
            raise ValueError(f'{path}: cannot read the snippet features ({err})') from err
        if features.ndim != 2:
            raise ValueError(f'{path}: expected features of shape (T, C), got {features.shape}')
        features = features[:: self.downsample_rate].astype(np.float32)
        feat_stride = results['feat_stride'] * self.downsample_rate
        results['features'] = np.ascontiguousarray(features.T)
        results['feat_stride'] = feat_stride
        results['feat_len'] = features.shape[0]
        results['feat_offset'] = 0
        seconds = np.asarray(results.get('segments_sec', []), np.float32).reshape(-1, 2)
        results['gt_segments'] = (seconds * results['fps'] - 0.5 * results['num_frames']) / (
            feat_stride
        )
        results['gt_labels'] = np.asarray(results.get('labels', []), np.int64)
        return results


@TRANSFORMS.register_module()
class LoadSnippetFrames(BaseTransform):
    """Decode one frame per snippet (its centre) from ``video_path`` into ``frames
    (T, 3, size, size)`` uint8, aligned with the features: what a video model of another
    task sees of this untrimmed video (its auxiliary view). Run after
    :class:`LoadSnippetFeatures`."""

    def __init__(self, size: int = 64):
        self.size = size

    def transform(self, results: dict) -> dict:
        path = results.get('video_path')
        if path is None:
            raise KeyError(
                f'{results.get("video_id")}: LoadSnippetFrames needs the video: give the '
                'dataset data_prefix=dict(feat=..., video=<folder of <video_id>.mp4>)'
            )
        centres = np.arange(results['feat_len']) * results['feat_stride']
        centres = centres + results['num_frames'] // 2
        decoded = self._decode(path, set(centres.tolist()))
        if not decoded:
            raise ValueError(f'{path}: no frame could be decoded')
        last = max(decoded)
        frames = np.stack([decoded[min(int(c), last)] for c in centres])
        results['frames'] = np.ascontiguousarray(frames.transpose(0, 3, 1, 2))
        return results

    def _decode(self, path: str, wanted: set) -> dict:
        """``{index: (size, size, 3) uint8}`` for the wanted frames (and the last one, which
        stands in for snippet centres past the end). PyAV decodes sequentially, which on
        these small frame sizes is also what decord's seeking would cost."""
        import av
        import cv2

        frames, previous = {}, None
        try:
            with av.open(path) as container:
                for index, frame in enumerate(container.decode(video=0)):
                    if index in wanted:
                        frames[index] = self._resize(frame.to_ndarray(format='rgb24'), cv2)
                    previous = (index, frame)
        except av.error.FFmpegError as err:
            raise ValueError(f'{path}: cannot decode the video ({err})') from err
        if previous is not None and previous[0] not in frames:
            frames[previous[0]] = self._resize(previous[1].to_ndarray(format='rgb24'), cv2)
        return frames

    def _resize(self, image: np.ndarray, cv2) -> np.ndarray:
        return cv2.resize(image, (self.size, self.size), interpolation=cv2.INTER_AREA)


@TRANSFORMS.register_module()
class RandomTruncateFeatures(BaseTransform):
    """ActionFormer's training crop: a window of at most ``max_seq_len`` steps (or a random
    ``crop_ratio`` of a shorter video) that keeps at least one action, whose segments are
    clipped to the window and kept when at least ``trunc_thresh`` of them remains."""

    def __init__(
        self,
        max_seq_len: int,
        trunc_thresh: float = 0.5,
        crop_ratio: tuple | None = None,
        max_trials: int = 200,
    ):
        self.max_seq_len = max_seq_len
        self.trunc_thresh = trunc_thresh
        self.crop_ratio = crop_ratio
        self.max_trials = max_trials

    def transform(self, results: dict) -> dict:
        length = results['features'].shape[1]
        window = self.max_seq_len
        if length <= window:
            if self.crop_ratio is None:
                return results
            low = max(round(self.crop_ratio[0] * length), 1)
            window = int(
                np.random.randint(low, min(round(self.crop_ratio[1] * length), length) + 1)
            )
            if window >= length:
                return results
        segments, labels = results['gt_segments'], results['gt_labels']
        areas = np.abs(segments[:, 1] - segments[:, 0]).clip(min=1e-6)
        for _ in range(self.max_trials):
            start = int(np.random.randint(0, length - window + 1))
            left = np.maximum(start, segments[:, 0])
            right = np.minimum(start + window, segments[:, 1])
            keep = (right - left).clip(min=0) / areas >= self.trunc_thresh
            if keep.any():
                break
        results['features'] = results['features'][:, start : start + window].copy()
        if 'frames' in results:
            results['frames'] = results['frames'][start : start + window].copy()
        results['gt_segments'] = np.stack([left[keep], right[keep]], axis=1) - start
        results['gt_labels'] = labels[keep]
        results['feat_len'] = window
        results['feat_offset'] = results.get('feat_offset', 0) + start
        return results


@TRANSFORMS.register_module()
class PackTemporalDetectionInputs(BaseTransform):
    """``inputs``: ``(C, T)`` features (a dict with ``frames`` too when loaded);
    ``data_samples``: an ``ActionDataSample`` with ``gt_instances`` (``segments`` on the
    feature grid, ``labels``) and the metainfo of ``META_KEYS``."""

    def __init__(self, meta_keys: tuple = META_KEYS):
        self.meta_keys = meta_keys

    def transform(self, results: dict) -> dict:
        from mmaction.structures import ActionDataSample

        features = torch.from_numpy(results['features'])
        inputs = features
        if 'frames' in results:
            inputs = dict(features=features, frames=torch.from_numpy(results['frames']))
        sample = ActionDataSample()
        sample.gt_instances = InstanceData(
            segments=torch.as_tensor(results['gt_segments'], dtype=torch.float32).reshape(-1, 2),
            labels=torch.as_tensor(results['gt_labels'], dtype=torch.long),
        )
        sample.set_metainfo({k: results[k] for k in self.meta_keys if k in results})
        return dict(inputs=inputs, data_samples=sample)

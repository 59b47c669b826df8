"""The MMEngine metric of action segmentation: :func:`segmentation_scores` over a test set."""

from __future__ import annotations

import json
import os
import os.path as osp
from collections.abc import Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from dlm_core.errors import ConfigError

from ..registry import METRICS
from .ms_tcn_scores import OVERLAPS, f1_key, segmentation_scores, video_f_counts


@METRICS.register_module()
class ActionSegmentationMetric(BaseMetric):
    """Acc, Edit, F1@{10, 25, 50} at the full frame rate of the ground truth files.

    Predictions are compared by class *name* (``dataset_meta['classes']``), so
    ``bg_classes`` names the background classes as ``mapping.txt`` does.

    Args:
        bg_classes: class names whose segments Edit and F1 ignore (MS-TCN: ``background``).
        per_video_file: where to write each test video's F1 counts as JSON,
            ``{"videos": [...], "counts": {"f1@50": [[tp, fp, fn], ...], ...}}`` (their sums
            give the F1 scores): what a bootstrap over test videos resamples (dlm_bench).
    """

    default_prefix = None

    def __init__(
        self,
        bg_classes: Sequence[str] = ('background',),
        per_video_file: str | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.bg_classes = (bg_classes,) if isinstance(bg_classes, str) else tuple(bg_classes)
        self.per_video_file = per_video_file

    def process(self, data_batch, data_samples: Sequence) -> None:
        for sample in data_samples:
            pred, gt = _field(sample, 'pred_labels'), _field(sample, 'gt_labels')
            meta = sample.get('metainfo', sample) if isinstance(sample, dict) else sample
            video = meta.get('video') if isinstance(meta, dict) else getattr(meta, 'video', None)
            self.results.append((_numpy(pred), _numpy(gt), video))

    def compute_metrics(self, results: list) -> dict:
        classes = (self.dataset_meta or {}).get('classes')
        if classes is None:
            raise KeyError(
                "ActionSegmentationMetric needs dataset_meta['classes'] (the names of "
                'mapping.txt) to compare labels by name'
            )
        names = np.asarray(classes, dtype=object)
        largest = max((int(pred.max()) for pred, _, _ in results if len(pred)), default=-1)
        if largest >= len(names):
            raise ConfigError(
                f'ActionSegmentationMetric: the model predicts class index {largest}, but the '
                f"dataset has {len(names)} classes: the head's num_classes and the dataset's "
                'classes differ'
            )
        predictions = [names[pred] for pred, _, _ in results]
        ground_truths = [names[gt] for _, gt, _ in results]
        if self.per_video_file:
            videos = [
                str(index if video is None else video)
                for index, (_, _, video) in enumerate(results)
            ]
            self._write_per_video(videos, predictions, ground_truths)
        return segmentation_scores(predictions, ground_truths, self.bg_classes)

    def _write_per_video(self, videos: list, predictions: list, ground_truths: list) -> None:
        counts = [
            video_f_counts(list(p), list(y), self.bg_classes)
            for p, y in zip(predictions, ground_truths)
        ]
        table = {
            f1_key(overlap): [c[k].tolist() for c in counts] for k, overlap in enumerate(OVERLAPS)
        }
        folder = osp.dirname(osp.abspath(self.per_video_file))
        os.makedirs(folder, exist_ok=True)
        with open(self.per_video_file, 'w') as handle:
            json.dump(dict(videos=videos, counts=table), handle)


def _field(sample, name: str):
    value = sample.get(name) if isinstance(sample, dict) else getattr(sample, name, None)
    if value is None:
        raise KeyError(f'ActionSegmentationMetric: a predicted data sample has no "{name}"')
    return value


def _numpy(values) -> np.ndarray:
    if hasattr(values, 'detach'):
        values = values.detach().cpu().numpy()
    return np.asarray(values, dtype=np.int64)

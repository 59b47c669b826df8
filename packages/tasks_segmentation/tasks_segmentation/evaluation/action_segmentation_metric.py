"""The MMEngine metric of action segmentation: :func:`segmentation_scores` over a test set."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from dlm_core.errors import ConfigError

from ..registry import METRICS
from .ms_tcn_scores import segmentation_scores


@METRICS.register_module()
class ActionSegmentationMetric(BaseMetric):
    """Acc, Edit, F1@{10, 25, 50} at the full frame rate of the ground truth files.

    Predictions are compared by class *name* (``dataset_meta['classes']``), so
    ``bg_classes`` names the background classes as ``mapping.txt`` does.

    Args:
        bg_classes: class names whose segments Edit and F1 ignore (MS-TCN: ``background``).
    """

    default_prefix = None

    def __init__(self, bg_classes: Sequence[str] = ('background',), **kwargs):
        super().__init__(**kwargs)
        self.bg_classes = (bg_classes,) if isinstance(bg_classes, str) else tuple(bg_classes)

    def process(self, data_batch, data_samples: Sequence) -> None:
        for sample in data_samples:
            pred, gt = _field(sample, 'pred_labels'), _field(sample, 'gt_labels')
            self.results.append((_numpy(pred), _numpy(gt)))

    def compute_metrics(self, results: list) -> dict:
        classes = (self.dataset_meta or {}).get('classes')
        if classes is None:
            raise KeyError(
                "ActionSegmentationMetric needs dataset_meta['classes'] (the names of "
                'mapping.txt) to compare labels by name'
            )
        names = np.asarray(classes, dtype=object)
        largest = max((int(pred.max()) for pred, _ in results if len(pred)), default=-1)
        if largest >= len(names):
            raise ConfigError(
                f'ActionSegmentationMetric: the model predicts class index {largest}, but the '
                f"dataset has {len(names)} classes: the head's num_classes and the dataset's "
                'classes differ'
            )
        predictions = [names[pred] for pred, _ in results]
        ground_truths = [names[gt] for _, gt in results]
        return segmentation_scores(predictions, ground_truths, self.bg_classes)


def _field(sample, name: str):
    value = sample.get(name) if isinstance(sample, dict) else getattr(sample, name, None)
    if value is None:
        raise KeyError(f'ActionSegmentationMetric: a predicted data sample has no "{name}"')
    return value


def _numpy(values) -> np.ndarray:
    if hasattr(values, 'detach'):
        values = values.detach().cpu().numpy()
    return np.asarray(values, dtype=np.int64)

"""mmdet's ``YouTubeVISMetric`` (video AP), able to evaluate more than once in a run."""

from __future__ import annotations

from collections import defaultdict

from mmdet.evaluation.metrics import YouTubeVISMetric

from dlm_core.errors import ConfigError

from ..registry import METRICS


@METRICS.register_module()
class RepeatableYouTubeVISMetric(YouTubeVISMetric):
    """``YouTubeVISMetric`` for validation during training.

    mmdet 3.3's ``evaluate`` ends by replacing its ``defaultdict`` record of the videos and
    frames seen with a plain dict and clearing it, so the next validation round fails in
    ``process`` with ``KeyError: 'images'``: the metric works once per process only. This
    one starts each round with a fresh record; everything it computes is mmdet's.

    mmdet names a predicted label ``k`` category ``k + 1`` of ``dataset_meta['classes']``
    and the evaluator ignores categories it does not know: a head with more classes than
    the dataset would lose predictions without a word. Here such a label is an error.
    """

    def process(self, data_batch, data_samples) -> None:
        self._check_labels(data_samples)
        super().process(data_batch, data_samples)

    def _check_labels(self, data_samples) -> None:
        classes = (self.dataset_meta or {}).get('classes')
        if not classes:
            return
        for sample in data_samples:
            for frame in sample.get('video_data_samples') or ():
                pred = frame.get('pred_track_instances')
                labels = None if pred is None else pred.get('labels')
                if labels is not None and len(labels) and int(labels.max()) >= len(classes):
                    raise ConfigError(
                        f'{type(self).__name__}: the model predicts class index '
                        f'{int(labels.max())}, but the dataset has {len(classes)} classes '
                        f"{list(classes)}: the head's num_classes and metainfo.classes differ"
                    )

    def evaluate(self, size: int = 1) -> dict:
        try:
            return super().evaluate(size)
        finally:
            self._vis_meta_info = defaultdict(list)

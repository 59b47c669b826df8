"""mmdet's ``YouTubeVISMetric`` (video AP), able to evaluate more than once in a run."""

from __future__ import annotations

from collections import defaultdict

from mmdet.evaluation.metrics import YouTubeVISMetric

from ..registry import METRICS


@METRICS.register_module()
class RepeatableYouTubeVISMetric(YouTubeVISMetric):
    """``YouTubeVISMetric`` for validation during training.

    mmdet 3.3's ``evaluate`` ends by replacing its ``defaultdict`` record of the videos and
    frames seen with a plain dict and clearing it, so the next validation round fails in
    ``process`` with ``KeyError: 'images'``: the metric works once per process only. This
    one starts each round with a fresh record; everything it computes is mmdet's.
    """

    def evaluate(self, size: int = 1) -> dict:
        try:
            return super().evaluate(size)
        finally:
            self._vis_meta_info = defaultdict(list)

"""Metrics of this package's tasks.

Action segmentation: :func:`segmentation_scores` (MS-TCN definitions) and its MMEngine
metric :class:`ActionSegmentationMetric`. Video instance segmentation:
:class:`RepeatableYouTubeVISMetric`, mmdet's video AP able to evaluate more than once a run.
"""

from .action_segmentation_metric import ActionSegmentationMetric
from .ms_tcn_scores import edit_score, f_counts, segmentation_scores, segments
from .youtube_vis_metric import RepeatableYouTubeVISMetric

__all__ = [
    'ActionSegmentationMetric',
    'RepeatableYouTubeVISMetric',
    'edit_score',
    'f_counts',
    'segmentation_scores',
    'segments',
]

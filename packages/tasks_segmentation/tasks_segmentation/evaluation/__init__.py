"""Metrics of this package's tasks.

Action segmentation: :func:`segmentation_scores` (MS-TCN definitions) and its MMEngine
metric :class:`ActionSegmentationMetric`.
"""

from .action_segmentation_metric import ActionSegmentationMetric
from .ms_tcn_scores import edit_score, f_counts, segmentation_scores, segments

__all__ = ['ActionSegmentationMetric', 'edit_score', 'f_counts', 'segmentation_scores', 'segments']

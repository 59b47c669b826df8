"""Models of the detection tasks.

Temporal action detection (THUMOS14): the ActionFormer-style ``TemporalActionDetector``,
its ``TemporalFeaturePreprocessor``, and two task-neutral snippet feature extractors:
``GridMotionExtractor`` (deterministic, no weights: the demo's) and ``ClipBackboneExtractor``
(a real clip network slid over the frames).
Spatio-temporal action detection (AVA) uses mmaction2's and mmdet's classes as configured;
importing ``mmaction.models`` here registers mmaction2's AVA RoI heads into mmdet's MODELS.
Video object detection (ImageNet VID): ``TemporalQueryDETR``, mmdet's Deformable DETR per
frame with a temporal query stage (TransVOD's idea).
"""

import mmaction.models  # noqa: F401

from .clip_backbone_extractor import ClipBackboneExtractor
from .grid_motion_extractor import GridMotionExtractor
from .temporal_detector import TemporalActionDetector
from .temporal_preprocessor import TemporalFeaturePreprocessor
from .temporal_query_detr import TemporalQueryDETR

__all__ = [
    'ClipBackboneExtractor',
    'GridMotionExtractor',
    'TemporalActionDetector',
    'TemporalFeaturePreprocessor',
    'TemporalQueryDETR',
]

"""Models of the detection tasks.

Temporal action detection (THUMOS14): the ActionFormer-style ``TemporalActionDetector``,
its ``TemporalFeaturePreprocessor``, and two task-neutral snippet feature extractors:
``GridMotionExtractor`` (deterministic, no weights: the demo's) and ``ClipBackboneExtractor``
(a real clip network slid over the frames), in ``models.features``.
Spatio-temporal action detection (AVA) uses mmaction2's and mmdet's classes as configured;
importing ``mmaction.models`` here registers mmaction2's AVA RoI heads into mmdet's MODELS
(a parent registry, whose own locations do not include mmaction2's modules).
Video object detection (ImageNet VID): ``TemporalQueryDETR``, mmdet's Deformable DETR per
frame with a temporal query stage (TransVOD's idea).
"""

import mmaction.models  # noqa: F401

from .features import ClipBackboneExtractor, GridMotionExtractor
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

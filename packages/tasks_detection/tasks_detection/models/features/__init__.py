"""Task-neutral snippet feature extractors (registered in this package's ``MODELS``): they
map any clip ``frames (B, T, 3, H, W)`` to ``features (B, C, T')``, so the THUMOS14 detector
can see another task's sample."""

from .clip_backbone_extractor import ClipBackboneExtractor
from .grid_motion_extractor import GridMotionExtractor

__all__ = ['ClipBackboneExtractor', 'GridMotionExtractor']

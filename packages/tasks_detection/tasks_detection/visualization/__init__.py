"""Drawing the detectors' predictions on a raw video (``tools/visualize.py``): AVA and
ImageNet VID boxes on frames, THUMOS14 segments on a timeline."""

from .boxes import SpatioTemporalViewer, VideoObjectViewer
from .temporal import TemporalDetectionViewer

__all__ = ['SpatioTemporalViewer', 'TemporalDetectionViewer', 'VideoObjectViewer']

"""Drawing the segmentation models' predictions on a raw video (``tools/visualize.py``):
YouTube-VIS masks coloured by track, action segmentation on a timeline."""

from .instances import VideoInstanceViewer
from .timeline import ActionSegmentationViewer

__all__ = ['ActionSegmentationViewer', 'VideoInstanceViewer']

"""The task plugins of this package (registered in ``tasks_detection.TASKS``)."""

from .spatio_temporal import SpatioTemporalDetectionTask
from .temporal import TemporalDetectionTask
from .video_object_detection import VideoObjectDetectionTask

__all__ = ['SpatioTemporalDetectionTask', 'TemporalDetectionTask', 'VideoObjectDetectionTask']

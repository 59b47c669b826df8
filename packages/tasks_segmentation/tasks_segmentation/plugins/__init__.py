"""The task plugins of this package (registered in ``tasks_segmentation.TASKS``)."""

from .action_segmentation import ActionSegmentationTask
from .video_instance_segmentation import VideoInstanceSegmentationTask

__all__ = ['ActionSegmentationTask', 'VideoInstanceSegmentationTask']

"""Datasets of this package's tasks, in the real on-disk layouts (registered in its
``DATASETS``; their pipeline steps are in ``datasets.transforms``)."""

from .action_segmentation import ActionSegmentationDataset
from .youtube_vis import YouTubeVISJsonDataset
from .youtube_vis_json import YouTubeVISFormatError, check_youtube_vis

__all__ = [
    'ActionSegmentationDataset',
    'YouTubeVISFormatError',
    'YouTubeVISJsonDataset',
    'check_youtube_vis',
]

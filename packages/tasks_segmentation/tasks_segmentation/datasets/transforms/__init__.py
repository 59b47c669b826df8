"""Pipeline steps of the action segmentation datasets (registered in this package's
``TRANSFORMS``)."""

from .load_segmentation_features import LoadSegmentationFeatures
from .pack_segmentation_inputs import PackSegmentationInputs

__all__ = ['LoadSegmentationFeatures', 'PackSegmentationInputs']

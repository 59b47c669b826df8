"""Models of this package's tasks (registered in its ``MODELS``).

Action segmentation: ``ActionSegmentor`` around ``ASFormer``, with its loss and data
preprocessor, and the task-neutral ``SnippetFeatureExtractor`` (``models.features``).
Video instance segmentation runs mmdet's ``Mask2FormerVideo`` as configured;
``mask2former_vis_steps`` splits its decoder into the steps the plugin runs.
"""

from .action_segmentation_loss import ActionSegmentationLoss
from .action_segmentation_preprocessor import ActionSegDataPreprocessor
from .action_segmentor import ActionSegmentor
from .asformer import ASFormer
from .features import SnippetFeatureExtractor

__all__ = [
    'ASFormer',
    'ActionSegDataPreprocessor',
    'ActionSegmentationLoss',
    'ActionSegmentor',
    'SnippetFeatureExtractor',
]

"""Prompt mappers: what turns auxiliary taps (or nothing) into primary prompts."""

from .base import PromptMapper
from .double_layer import DoubleLayerMapper
from .layers import AlignmentAdapter, DimensionCorrespondingUnit, PromptExtractorLayer
from .static import StaticPrompts
from .transferred import TransferredPrompts

__all__ = [
    'AlignmentAdapter',
    'DimensionCorrespondingUnit',
    'DoubleLayerMapper',
    'PromptExtractorLayer',
    'PromptMapper',
    'StaticPrompts',
    'TransferredPrompts',
]

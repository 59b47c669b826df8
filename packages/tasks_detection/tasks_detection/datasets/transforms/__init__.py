"""Pipeline steps of the detection datasets."""

from .neighbour_ref_frame_sample import NeighbourRefFrameSample
from .temporal_features import (
    LoadSnippetFeatures,
    LoadSnippetFrames,
    PackTemporalDetectionInputs,
    RandomTruncateFeatures,
)

__all__ = [
    'LoadSnippetFeatures',
    'LoadSnippetFrames',
    'NeighbourRefFrameSample',
    'PackTemporalDetectionInputs',
    'RandomTruncateFeatures',
]

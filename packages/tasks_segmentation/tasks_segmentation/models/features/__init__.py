"""Task-neutral per-frame feature extractors (registered in this package's ``MODELS``): they
map any clip ``frames (B, T, 3, H, W)`` to ``features (B, C, T)``, so the action segmentation
model can see another task's sample."""

from .snippet_features import SnippetFeatureExtractor

__all__ = ['SnippetFeatureExtractor']

"""Drawing a recognizer's predictions on a raw video (``tools/visualize.py``)."""

from .recognition import RecognitionViewer

__all__ = ['RecognitionViewer']

"""Datasets of the detection tasks, in the real on-disk layouts."""

from .ava import ValidatedAVADataset, ValidatedAVAKineticsDataset
from .ava_annotations import AVAAnnotationError, check_ava_annotations
from .cocovid_validation import CocoVIDAnnotationError, check_cocovid_annotations
from .imagenet_vid import ImagenetVIDDataset
from .thumos14 import Thumos14Dataset, read_thumos14_json

__all__ = [
    'AVAAnnotationError',
    'CocoVIDAnnotationError',
    'ImagenetVIDDataset',
    'Thumos14Dataset',
    'ValidatedAVADataset',
    'ValidatedAVAKineticsDataset',
    'check_ava_annotations',
    'check_cocovid_annotations',
    'read_thumos14_json',
]

"""Metrics of the detection tasks (built on the reference evaluators mmaction2 ships)."""

from .ava_frame_map import AVAFrameMAP, ava_frame_map
from .coco_video_metric import CocoVideoMetricWithResamples
from .temporal_detection_map import TemporalDetectionMAP, detection_map

__all__ = [
    'AVAFrameMAP',
    'CocoVideoMetricWithResamples',
    'TemporalDetectionMAP',
    'ava_frame_map',
    'detection_map',
]

"""Datasets of the action recognition task (mmaction2's video lists, checked)."""

from .validated_video_dataset import ValidatedVideoDataset, VideoListError
from .video_probe import VideoProbeError, probe_video

__all__ = ['ValidatedVideoDataset', 'VideoListError', 'VideoProbeError', 'probe_video']

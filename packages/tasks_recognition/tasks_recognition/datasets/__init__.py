"""Datasets of the action recognition task (mmaction2's video lists, checked), and the
frame-accurate decoding they use (``FrameAccurateInit`` / ``FrameAccurateDecode``;
``probe_video`` and ``read_frames`` for tools that read frames themselves)."""

from .frame_reader import VideoDecodeError, read_frames
from .transforms import FrameAccurateDecode, FrameAccurateInit
from .validated_video_dataset import ValidatedVideoDataset, VideoListError
from .video_probe import VideoInfo, VideoProbeError, count_frames, probe_video

__all__ = [
    'FrameAccurateDecode',
    'FrameAccurateInit',
    'ValidatedVideoDataset',
    'VideoDecodeError',
    'VideoInfo',
    'VideoListError',
    'VideoProbeError',
    'count_frames',
    'probe_video',
    'read_frames',
]

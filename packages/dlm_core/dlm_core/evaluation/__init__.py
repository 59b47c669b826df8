"""Evaluation helpers any task's metric can use (they name no task)."""

from .matched_copies import accumulate_copies, copy_order
from .video_resamples import (
    copy_name,
    sorted_videos,
    video_resamples,
    write_video_replicates,
)

__all__ = [
    'accumulate_copies',
    'copy_name',
    'copy_order',
    'sorted_videos',
    'video_resamples',
    'write_video_replicates',
]

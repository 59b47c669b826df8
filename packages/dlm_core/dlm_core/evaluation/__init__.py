"""Evaluation helpers any task's metric can use (they name no task)."""

from .video_resamples import (
    copy_name,
    sorted_videos,
    video_resamples,
    write_video_replicates,
)

__all__ = ['copy_name', 'sorted_videos', 'video_resamples', 'write_video_replicates']

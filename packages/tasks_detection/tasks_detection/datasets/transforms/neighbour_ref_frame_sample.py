"""Deterministic reference frames for evaluating a video object detector.

mmdet's ``UniformRefFrameSample`` draws reference frames at random: right for training,
but an evaluation must see the same frames every time. Here the references of a key frame
are its nearest neighbours (``-1, +1, -2, +2, ...`` within the video), as TransVOD's test
loader takes them.
"""

from __future__ import annotations

from mmdet.datasets.transforms import UniformRefFrameSample

from ...registry import TRANSFORMS


@TRANSFORMS.register_module()
class NeighbourRefFrameSample(UniformRefFrameSample):
    """The key frame and its ``num_ref_imgs`` nearest frames (the key frame itself repeated
    when the video is too short), sorted by time; ``key_frame_flags`` marks the key frame."""

    def sampling_frames(self, video_length: int, key_frame_id: int):
        left = max(0, key_frame_id + self.frame_range[0])
        right = min(key_frame_id + self.frame_range[1], video_length - 1)
        candidates = []
        for step in range(1, max(key_frame_id - left, right - key_frame_id) + 1):
            for frame in (key_frame_id - step, key_frame_id + step):
                if left <= frame <= right:
                    candidates.append(frame)
        refs = candidates[: self.num_ref_imgs]
        refs += [key_frame_id] * (self.num_ref_imgs - len(refs))
        frames = sorted([key_frame_id] + refs)
        flags = [False] * len(frames)
        flags[frames.index(key_frame_id)] = True
        return frames, flags

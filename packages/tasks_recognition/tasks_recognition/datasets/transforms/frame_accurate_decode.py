"""Decode transforms that give exactly the frames the sampler asked for, or an error.

They replace mmaction2's ``DecordInit`` / ``DecordDecode`` pair in a pipeline, around the
same samplers (``SampleFrames``, ``UniformSample``)::

    dict(type='FrameAccurateInit'),
    dict(type='SampleFrames', clip_len=16, frame_interval=4, num_clips=1),
    dict(type='FrameAccurateDecode'),

``FrameAccurateInit`` takes the frame count, frame rate and decoder that
:class:`~tasks_recognition.datasets.ValidatedVideoDataset` found when it probed the file
(``video_info`` of the data info); without them (``check_videos='exists'`` or
``'none'``, or another dataset) it probes the file itself. So a file is read with decord
only where its seek was checked to return the frames asked for, and with PyAV (in order)
everywhere else; the frame count is the count of frames that decode.
"""

from __future__ import annotations

import numpy as np
from mmcv.transforms import BaseTransform

from ...registry import TRANSFORMS
from ..frame_reader import read_frames
from ..video_probe import VideoInfo, probe_video


@TRANSFORMS.register_module()
class FrameAccurateInit(BaseTransform):
    """Set ``total_frames``, ``avg_fps`` and ``video_decoder`` of a video.

    Args:
        backend_args: MMEngine file backend arguments (as mmaction2's ``DecordInit``).
    """

    def __init__(self, backend_args: dict | None = None):
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        info = results.get('video_info')
        if info is None:
            info = probe_video(results['filename'], 'auto', self.backend_args).as_dict()
        elif isinstance(info, VideoInfo):
            info = info.as_dict()
        results['total_frames'] = int(info['num_frames'])
        results['avg_fps'] = float(info['avg_fps'])
        results['video_decoder'] = info['decoder']
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(backend_args={self.backend_args})'


@TRANSFORMS.register_module()
class FrameAccurateDecode(BaseTransform):
    """Decode the frames at ``frame_inds`` with the decoder ``FrameAccurateInit`` chose.

    Adds ``imgs`` (a list of ``(H, W, 3)`` RGB arrays), ``original_shape`` and
    ``img_shape``, as mmaction2's ``DecordDecode`` does.
    """

    def __init__(self, backend_args: dict | None = None):
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        indices = np.asarray(results['frame_inds']).reshape(-1)
        imgs = read_frames(
            results['filename'],
            indices,
            decoder=results.get('video_decoder', 'pyav'),
            backend_args=self.backend_args,
        )
        results['imgs'] = imgs
        results['original_shape'] = imgs[0].shape[:2]
        results['img_shape'] = imgs[0].shape[:2]
        results.pop('video_reader', None)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(backend_args={self.backend_args})'

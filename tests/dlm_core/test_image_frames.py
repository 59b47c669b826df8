"""dlm_core.tasks.frames against MMEngine's ImgDataPreprocessor and mmaction2's
ActionDataPreprocessor, and the resampling of another task's clip."""

import pytest
import torch
import torch.nn.functional as F
from mmengine.model import ImgDataPreprocessor

from dlm_core.tasks.frames import (
    frames_to_inputs,
    frames_to_view,
    inputs_to_frames,
    resize_frames,
    sample_frames,
)


def test_frames_to_inputs_matches_the_preprocessor_and_inverts():
    pre = ImgDataPreprocessor(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=8,
        pad_value=3,
    )
    frames = torch.rand(2, 3, 3, 13, 17)  # (B, T, 3, H, W), RGB in [0, 1]
    inputs = frames_to_inputs(frames, pre)
    assert inputs.shape == (2, 3, 3, 16, 24)
    # what the preprocessor makes of the BGR 0-255 images it would load
    loaded = list((frames.flip(2) * 255.0).flatten(0, 1))
    reference = pre(dict(inputs=loaded))['inputs'].view(2, 3, 3, 16, 24)
    torch.testing.assert_close(inputs, reference, rtol=1e-5, atol=1e-4)
    assert torch.all(inputs[..., 13:, :] == 3) and torch.all(inputs[..., :, 17:] == 3)
    torch.testing.assert_close(inputs_to_frames(inputs, pre)[..., :13, :17], frames)


def test_without_normalising_or_channel_swap_only_scale_and_order_change():
    pre = ImgDataPreprocessor()
    frames = torch.rand(1, 2, 3, 4, 4)
    inputs = frames_to_inputs(frames, pre)
    torch.testing.assert_close(inputs, frames.flip(2) * 255.0)
    torch.testing.assert_close(inputs_to_frames(inputs, pre), frames)


def test_clips_match_mmactions_preprocessor_and_invert():
    from mmaction.models import ActionDataPreprocessor  # after dlm_core (its import fixes)

    frames = torch.rand(2, 4, 3, 6, 5)  # (B, T, 3, H, W), RGB in [0, 1]
    for to_rgb in (False, True):
        pre = ActionDataPreprocessor(
            mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=to_rgb,
            format_shape='NCTHW',
        )  # fmt: skip
        inputs = frames_to_inputs(frames, pre, 'NCTHW')
        assert inputs.shape == (2, 3, 4, 6, 5)
        # what the preprocessor makes of the decoded RGB 0-255 clips (C, T, H, W)
        decoded = list((frames * 255.0).transpose(1, 2))
        reference = pre(dict(inputs=decoded, data_samples=None))['inputs']
        torch.testing.assert_close(inputs, reference, rtol=1e-5, atol=1e-4)
        # views of a sample (B, V, 3, T, H, W) come back as one clip each
        torch.testing.assert_close(inputs_to_frames(inputs[:, None], pre, 'NCTHW'), frames)
    with pytest.raises(ValueError, match=r'NCTHW'):
        inputs_to_frames(torch.rand(2, 4, 3, 6, 5), pre, 'NCTHW')


def test_sampling_spreads_frames_over_the_clip():
    clip = torch.arange(10.0).view(1, 10, 1, 1, 1).expand(2, 10, 3, 2, 2)
    segments = sample_frames(clip, 4, 'segments')  # the centres of 4 segments of 2.5 frames
    assert segments[0, :, 0, 0, 0].tolist() == [1, 3, 6, 8]
    ends = sample_frames(clip, 4, 'ends')  # first to last
    assert ends[0, :, 0, 0, 0].tolist() == [0, 3, 6, 9]
    assert sample_frames(clip, 10, 'ends') is clip
    with pytest.raises(ValueError, match='spread must be'):
        sample_frames(clip, 4, 'middle')


def test_resizing_stretches_whole_frames_or_crops_the_centre():
    frames = torch.rand(2, 3, 3, 50, 70)
    stretched = resize_frames(frames, (20, 30))
    assert stretched.shape == (2, 3, 3, 20, 30)
    reference = F.interpolate(frames.flatten(0, 1), (20, 30), mode='bilinear', align_corners=False)
    torch.testing.assert_close(stretched.flatten(0, 1), reference)
    cropped = resize_frames(frames, 32, 'crop')  # short side 50 -> 32, long 70 -> 45, centre
    reference = F.interpolate(frames.flatten(0, 1), (32, 45), mode='bilinear', align_corners=False)
    torch.testing.assert_close(cropped.flatten(0, 1), reference[..., 6:38])
    assert resize_frames(frames, (50, 70)).equal(frames)


def test_a_view_samples_resizes_and_normalises():
    pre = ImgDataPreprocessor(mean=[100.0, 110.0, 120.0], std=[50.0, 60.0, 70.0])
    frames = torch.rand(2, 9, 3, 12, 16)
    view = frames_to_view(frames, pre, num_frames=3, spread='ends', size=(8, 8))
    picked = resize_frames(frames[:, [0, 4, 8]], (8, 8))
    torch.testing.assert_close(view, frames_to_inputs(picked, pre))
    torch.testing.assert_close(frames_to_view(frames, pre), frames_to_inputs(frames, pre))

"""dlm_core.tasks.image_frames against MMEngine's own ImgDataPreprocessor."""

import torch
from mmengine.model import ImgDataPreprocessor

from dlm_core.tasks.image_frames import frames_to_inputs, inputs_to_frames


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

"""ASFormer: shapes, padding masks with batch > 1, the paper's size, locality of attention."""

import pytest
import torch

import tasks_segmentation  # noqa: F401
from tasks_segmentation.models.asformer import WindowAttention, masked_instance_norm
from tasks_segmentation.registry import MODELS


def small_asformer(**kwargs):
    cfg = dict(
        type='ASFormer', in_channels=12, num_classes=5, embed_dims=16, num_layers=5, num_decoders=2
    )
    cfg.update(kwargs)
    torch.manual_seed(0)
    return MODELS.build(cfg).eval()


def test_stage_logits_shape():
    model = small_asformer()
    out = model(torch.randn(3, 12, 37))
    assert out.shape == (3, 3, 5, 37)  # (stages = 1 + decoders, B, K, T)


def test_padding_does_not_change_the_valid_frames():
    model = small_asformer()
    lengths = [37, 20, 9]
    videos = [torch.randn(12, n) for n in lengths]
    batch = torch.zeros(3, 12, 41)  # padded beyond the longest video too
    mask = torch.zeros(3, 41, dtype=torch.bool)
    for i, video in enumerate(videos):
        batch[i, :, : video.shape[1]] = video
        batch[i, :, video.shape[1] :] = 7.0  # garbage in the padding must not leak
        mask[i, : video.shape[1]] = True
    with torch.no_grad():
        batched = model(batch, mask)
        for i, video in enumerate(videos):
            alone = model(video[None])
            n = video.shape[1]
            torch.testing.assert_close(batched[:, i, :, :n], alone[:, 0], atol=1e-5, rtol=1e-5)
            assert torch.all(batched[:, i, :, n:] == 0)


def test_padding_does_not_change_gradients_of_valid_frames():
    model = small_asformer(channel_dropout=0.0, dropout=0.0).train()
    video = torch.randn(1, 12, 10, requires_grad=True)
    padded = torch.cat([video, torch.randn(1, 12, 6)], dim=2)
    mask = torch.tensor([[True] * 10 + [False] * 6])
    (grad_alone,) = torch.autograd.grad(model(video)[-1].sum(), video)
    (grad_padded,) = torch.autograd.grad(model(padded, mask)[-1][..., :10].sum(), video)
    torch.testing.assert_close(grad_alone, grad_padded, atol=1e-5, rtol=1e-5)


def test_the_papers_asformer_has_the_papers_size():
    # 1.13 M parameters for 50Salads (19 classes, I3D 2048-d input), as ASFormer reports:
    # per block 3x3 conv 64x64 + q, k, v 64->32 + out 32->64 + 1x1 64x64
    block = (64 * 64 * 3 + 64) + 3 * (64 * 32 + 32) + (32 * 64 + 64) + (64 * 64 + 64)
    encoder = (2048 * 64 + 64) + 10 * block + (64 * 19 + 19)
    decoder = (19 * 64 + 64) + 10 * block + (64 * 19 + 19)
    model = MODELS.build(dict(type='ASFormer', in_channels=2048, num_classes=19))
    assert sum(p.numel() for p in model.parameters()) == encoder + 3 * decoder == 1_134_476


def test_window_attention_is_local():
    """A window of w frames sees itself widened by w // 2 on each side, nothing further."""
    torch.manual_seed(0)
    attention = WindowAttention(8, window=4).eval()
    x = torch.randn(1, 8, 24)
    mask = torch.ones(1, 1, 24)
    base = attention(x, mask)
    changed = x.clone()
    changed[:, :, 20] += 5.0  # frame 20 lies in window [20, 24), seen by windows from 18
    diff = (attention(changed, mask) - base).abs().sum(1)[0]
    touched = torch.nonzero(diff > 1e-6).flatten().tolist()
    assert touched == list(range(16, 24))  # window [16, 20) reads [14, 22); [20, 24) reads all


def test_prefix_tokens_are_read_by_every_window():
    torch.manual_seed(0)
    attention = WindowAttention(8, window=2).eval()
    x, mask = torch.randn(2, 8, 11), torch.ones(2, 1, 11)
    prefix = torch.randn(2, 3, 8)
    diff = (attention(x, mask, prefix=prefix) - attention(x, mask)).abs().sum(1)
    # every window of 2 frames changes (a frame may not: the output ReLU can cut it)
    per_window = torch.nn.functional.pad(diff, (0, 1)).view(2, 6, 2).amax(-1)
    assert torch.all(per_window > 1e-6)


def test_masked_instance_norm_equals_instance_norm_without_padding():
    x = torch.randn(2, 4, 9)
    reference = torch.nn.InstanceNorm1d(4)(x)
    torch.testing.assert_close(masked_instance_norm(x, torch.ones(2, 1, 9)), reference)


def test_wrong_inputs_are_clear_errors():
    model = small_asformer()
    with pytest.raises(ValueError, match=r'expects features of shape \(B, 12, T\)'):
        model(torch.randn(1, 7, 10))
    with pytest.raises(ValueError, match='mask of shape'):
        model(torch.randn(2, 12, 10), torch.ones(2, 9, dtype=torch.bool))
    with pytest.raises(ValueError, match='qk_ratio=3 must be a positive divisor'):
        small_asformer(qk_ratio=3)


def test_loss_is_the_reference_loss_and_padding_does_not_change_it():
    loss = MODELS.build(dict(type='ActionSegmentationLoss'))
    torch.manual_seed(0)
    logits = torch.randn(2, 1, 5, 12)  # (S, B, K, T)
    targets = torch.randint(5, (1, 12))
    alone = loss(logits, targets, torch.ones(1, 12, dtype=torch.bool))
    # MS-TCN / ASFormer: per stage CE + 0.15 * mean(clamp(mse(log p_t, log p_{t-1}), 0, 16))
    reference_cls = reference_smooth = 0
    for p in logits:
        reference_cls += torch.nn.functional.cross_entropy(p, targets)
        log_p = torch.log_softmax(p, dim=1)
        reference_smooth += torch.clamp((log_p[:, :, 1:] - log_p[:, :, :-1]) ** 2, 0, 16).mean()
    torch.testing.assert_close(alone['loss_cls'], reference_cls)
    torch.testing.assert_close(alone['loss_smooth'], 0.15 * reference_smooth)
    padded = torch.cat([logits, torch.randn(2, 1, 5, 4)], dim=-1)
    mask = torch.tensor([[True] * 12 + [False] * 4])
    padded_loss = loss(padded, torch.cat([targets, torch.zeros(1, 4, dtype=torch.long)], 1), mask)
    for key in alone:
        torch.testing.assert_close(padded_loss[key], alone[key])

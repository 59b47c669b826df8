"""ASFormer (Yi, Wen and Jiang, BMVC 2021): a transformer for action segmentation.

An encoder turns per-frame features into class scores through blocks of a dilated
convolutional feed-forward followed by local self-attention; the window of block ``i``
(and the dilation of its convolution) is ``2**i`` frames, so the receptive field grows
exponentially while each attention stays local (a hierarchical inductive bias that small
action segmentation datasets need). Decoders refine the previous stage's scores with
cross-attention: queries and keys from the refined stream, values from the previous
stage's features, with a weight ``exp(-decay * s)`` on the attention of decoder ``s``
(as in the authors' release).

Written for batches of padded sequences: ``mask`` marks the valid frames, padded frames
are zero after every block, the instance norm and the attention only count valid frames,
so padding never changes the outputs at valid frames.

Prompts of the DLM method enter in *prefix* mode: extra keys and values appended to
every window's attention (see :class:`WindowAttention`).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn

from ..registry import MODELS


def _as_mask(mask: torch.Tensor | None, features: torch.Tensor) -> torch.Tensor:
    """``(B, 1, T)`` float mask of valid frames (all valid when ``mask`` is None)."""
    batch, _, length = features.shape
    if mask is None:
        return features.new_ones(batch, 1, length)
    if mask.dim() == 2:
        mask = mask[:, None]
    if mask.shape != (batch, 1, length):
        raise ValueError(
            f'mask of shape {tuple(mask.shape)} does not fit features of shape '
            f'{tuple(features.shape)}: expected (B, T) or (B, 1, T) with B={batch}, T={length}'
        )
    return mask.to(features.dtype)


def masked_instance_norm(x: torch.Tensor, mask: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """``nn.InstanceNorm1d`` (no affine) whose statistics count only the valid frames."""
    count = mask.sum(dim=-1, keepdim=True).clamp_min(1)
    mean = (x * mask).sum(dim=-1, keepdim=True) / count
    var = (((x - mean) * mask) ** 2).sum(dim=-1, keepdim=True) / count
    return (x - mean) / torch.sqrt(var + eps)


class WindowAttention(nn.Module):
    """Local attention of one ASFormer block.

    The sequence is cut into windows of ``window`` frames; the queries of a window attend
    to the keys of the window widened by ``window // 2`` frames on each side. Keys of
    padded or out-of-sequence frames get zero weight. ``prefix`` tokens ``(B, M, D)``
    (the DLM prompts) are appended to the keys and values of *every* window: each frame
    can read them wherever it lies, and they never become queries themselves. With a
    ``gate`` (a ``LayerGate`` of the DLM core, exact start) the window's own attention stays
    as without prefix and the prefix adds its gated term instead.
    """

    def __init__(self, embed_dims: int, window: int, qk_ratio: int = 2, v_ratio: int = 2):
        super().__init__()
        self.window = int(window)
        qk_dims, v_dims = embed_dims // qk_ratio, embed_dims // v_ratio
        self.query = nn.Conv1d(embed_dims, qk_dims, 1)
        self.key = nn.Conv1d(embed_dims, qk_dims, 1)
        self.value = nn.Conv1d(embed_dims, v_dims, 1)
        self.proj = nn.Conv1d(v_dims, embed_dims, 1)

    def forward(
        self,
        x: torch.Tensor,
        mask: torch.Tensor,
        value_source: torch.Tensor | None = None,
        prefix: torch.Tensor | None = None,
        gate=None,
    ) -> torch.Tensor:
        """``x (B, D, T)``, ``mask (B, 1, T)``; values from ``value_source`` if given."""
        batch, _, length = x.shape
        w, half = self.window, self.window // 2
        blocks = math.ceil(length / w)
        tail = blocks * w - length
        span = w + 2 * half

        q = self.query(x)
        k = self.key(x)
        v = self.value(x if value_source is None else value_source)
        scale = q.shape[1] ** -0.5
        q = F.pad(q, (0, tail)).reshape(batch, q.shape[1], blocks, w)
        k = F.pad(k, (half, tail + half)).unfold(-1, span, w)  # (B, C, blocks, span)
        v = F.pad(v, (half, tail + half)).unfold(-1, span, w)
        valid = F.pad(mask[:, 0], (half, tail + half)).unfold(-1, span, w) > 0  # (B, blocks, span)

        energy = torch.einsum('bcnw,bcns->bnws', q, k) * scale
        allowed = valid[:, :, None, :].expand(-1, -1, w, -1)
        gated = None
        if prefix is not None and gate is not None:
            prefix = prefix.transpose(1, 2).to(x.dtype)  # (B, D, M)
            # one head: queries (B, 1, blocks * w, C), prefix keys (B, 1, M, C)
            gated = gate.prompt_term(
                q.flatten(2).transpose(1, 2)[:, None],
                self.key(prefix).transpose(1, 2)[:, None],
                self.value(prefix).transpose(1, 2)[:, None],
                scale,
            )
            gated = gated[:, 0].transpose(1, 2).reshape(batch, -1, blocks, w)
            prefix = None
        if prefix is not None:
            prefix = prefix.transpose(1, 2).to(x.dtype)  # (B, D, M)
            prefix_k, prefix_v = self.key(prefix), self.value(prefix)
            energy = torch.cat(
                [energy, torch.einsum('bcnw,bcm->bnwm', q, prefix_k) * scale], dim=-1
            )
            allowed = torch.cat(
                [allowed, allowed.new_ones(batch, blocks, w, prefix.shape[-1])], dim=-1
            )
        energy = energy.masked_fill(~allowed, torch.finfo(energy.dtype).min)
        # a query whose window holds no valid key reads nothing (not a uniform average)
        attention = torch.softmax(energy, dim=-1) * allowed
        out = torch.einsum('bnws,bcns->bcnw', attention[..., :span], v)
        if prefix is not None:
            out = out + torch.einsum('bnwm,bcm->bcnw', attention[..., span:], prefix_v)
        if gated is not None:
            out = out + gated
        out = out.reshape(batch, -1, blocks * w)[..., :length]
        return self.proj(F.relu(out)) * mask


class ASFormerBlock(nn.Module):
    """Dilated conv feed-forward, then (cross-)attention on its instance-normed output.

    ``out = ff(x); out = alpha * attn(norm(out)) + out; x + dropout(conv1x1(out))``.
    """

    def __init__(
        self,
        embed_dims: int,
        dilation: int,
        qk_ratio: int = 2,
        v_ratio: int = 2,
        alpha: float = 1.0,
        dropout: float = 0.5,
    ):
        super().__init__()
        self.feed_forward = nn.Conv1d(
            embed_dims, embed_dims, 3, padding=dilation, dilation=dilation
        )
        self.attention = WindowAttention(embed_dims, dilation, qk_ratio, v_ratio)
        self.proj = nn.Conv1d(embed_dims, embed_dims, 1)
        self.dropout = nn.Dropout(dropout)
        self.alpha = float(alpha)

    def forward(self, x, mask, value_source=None, prefix=None, gate=None):
        out = F.relu(self.feed_forward(x))
        normed = masked_instance_norm(out, mask)
        attended = self.attention(normed, mask, value_source, prefix, gate)
        out = self.alpha * attended + out
        out = self.dropout(self.proj(out))
        return (x + out) * mask


class ASFormerEncoder(nn.Module):
    """Channel dropout, a 1x1 input projection, ``num_layers`` self-attention blocks with
    windows ``1, 2, 4, ...``, and a 1x1 classifier."""

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        embed_dims: int,
        num_layers: int,
        qk_ratio: int,
        v_ratio: int,
        channel_dropout: float,
        dropout: float,
    ):
        super().__init__()
        self.channel_dropout = nn.Dropout2d(channel_dropout)
        self.input_proj = nn.Conv1d(in_channels, embed_dims, 1)
        self.blocks = nn.ModuleList(
            ASFormerBlock(embed_dims, 2**i, qk_ratio, v_ratio, 1.0, dropout)
            for i in range(num_layers)
        )
        self.classifier = nn.Conv1d(embed_dims, num_classes, 1)

    def embed(self, features, mask):
        # Dropout2d on (B, C, 1, T) drops whole feature channels (channel masking)
        features = self.channel_dropout(features.unsqueeze(2)).squeeze(2)
        return self.input_proj(features) * mask

    def run_blocks(self, feature, mask, start, stop, prefix=None, gate=None):
        for index in range(start, stop):
            layer_gate = gate.layer(index) if gate is not None and prefix is not None else None
            feature = self.blocks[index](feature, mask, prefix=prefix, gate=layer_gate)
        return feature


class ASFormerDecoder(nn.Module):
    """Refines class scores: 1x1 projection of the scores, cross-attention blocks whose
    values come from the previous stage's features, a 1x1 classifier."""

    def __init__(
        self,
        num_classes: int,
        embed_dims: int,
        num_layers: int,
        qk_ratio: int,
        v_ratio: int,
        alpha: float,
        dropout: float,
    ):
        super().__init__()
        self.input_proj = nn.Conv1d(num_classes, embed_dims, 1)
        self.blocks = nn.ModuleList(
            ASFormerBlock(embed_dims, 2**i, qk_ratio, v_ratio, alpha, dropout)
            for i in range(num_layers)
        )
        self.classifier = nn.Conv1d(embed_dims, num_classes, 1)

    def forward(self, scores, previous_feature, mask):
        feature = self.input_proj(scores) * mask
        for block in self.blocks:
            feature = block(feature, mask, value_source=previous_feature)
        return self.classifier(feature) * mask, feature


@MODELS.register_module()
class ASFormer(BaseModule):
    """The ASFormer network: features ``(B, C, T)`` to stage logits ``(S, B, K, T)``.

    Stage 0 is the encoder's prediction, stages ``1..num_decoders`` the decoders'
    refinements; the last stage is the prediction.

    Args:
        in_channels: width ``C`` of the input features (2048 for I3D).
        num_classes: number of classes ``K`` (``mapping.txt``).
        embed_dims: width of every block (the paper's 64 feature maps).
        num_layers: blocks per encoder and per decoder (10: windows up to 512 frames).
        num_decoders: refinement stages (3).
        qk_ratio, v_ratio: channel reduction of queries/keys and values (``r1``, ``r2``).
        channel_dropout: rate of dropping whole input channels in training (0.3; 0.5 for
            GTEA in the paper).
        dropout: dropout after each block's output projection.
        decoder_alpha_decay: decoder ``s`` scales its attention by ``exp(-decay * s)``.
    """

    def __init__(
        self,
        in_channels: int = 2048,
        num_classes: int = 19,
        embed_dims: int = 64,
        num_layers: int = 10,
        num_decoders: int = 3,
        qk_ratio: int = 2,
        v_ratio: int = 2,
        channel_dropout: float = 0.3,
        dropout: float = 0.5,
        decoder_alpha_decay: float = 3.0,
        init_cfg=None,
    ):
        super().__init__(init_cfg=init_cfg)
        for name, value in (('qk_ratio', qk_ratio), ('v_ratio', v_ratio)):
            if value < 1 or embed_dims % value:
                raise ValueError(
                    f'ASFormer: {name}={value} must be a positive divisor of '
                    f'embed_dims={embed_dims}'
                )
        self.in_channels = int(in_channels)
        self.num_classes = int(num_classes)
        self.embed_dims = int(embed_dims)
        self.encoder = ASFormerEncoder(
            in_channels,
            num_classes,
            embed_dims,
            num_layers,
            qk_ratio,
            v_ratio,
            channel_dropout,
            dropout,
        )
        self.decoders = nn.ModuleList(
            ASFormerDecoder(
                num_classes,
                embed_dims,
                num_layers,
                qk_ratio,
                v_ratio,
                math.exp(-decoder_alpha_decay * s),
                dropout,
            )
            for s in range(num_decoders)
        )

    @property
    def num_layers(self) -> int:
        return len(self.encoder.blocks)

    def embed(self, features: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Input features ``(B, C, T)`` to the encoder's width ``(B, D, T)``."""
        if features.dim() != 3 or features.shape[1] != self.in_channels:
            raise ValueError(
                f'ASFormer expects features of shape (B, {self.in_channels}, T), got '
                f'{tuple(features.shape)}'
            )
        return self.encoder.embed(features, _as_mask(mask, features))

    def forward_encoder(self, feature, mask=None, start=0, stop=None, prefix=None, gate=None):
        """Encoder blocks ``[start, stop)`` on ``(B, D, T)``; ``prefix (B, M, D)`` joins
        every window's keys and values, gated by ``gate`` (a DLM ``PromptGate``) if given."""
        stop = self.num_layers if stop is None else stop
        mask = _as_mask(mask, feature)
        return self.encoder.run_blocks(feature, mask, start, stop, prefix, gate)

    def forward_head(self, feature: torch.Tensor, mask=None) -> torch.Tensor:
        """Encoder classifier and decoders on the encoder's output: ``(S, B, K, T)``."""
        mask = _as_mask(mask, feature)
        logits = self.encoder.classifier(feature) * mask
        stages = [logits]
        for decoder in self.decoders:
            logits, feature = decoder(F.softmax(logits, dim=1) * mask, feature * mask, mask)
            stages.append(logits)
        return torch.stack(stages)

    def forward(self, features: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        feature = self.forward_encoder(self.embed(features, mask), mask)
        return self.forward_head(feature, mask)

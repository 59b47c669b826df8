"""Snippet features from a real clip backbone, for views of feature-based tasks on real data.

THUMOS14's features are a clip network run on snippets of ``snippet_len`` frames every
``stride`` frames (I3D in ActionFormer, a VideoMAE ViT-B in the paper). When such a task is
an auxiliary, it sees the primary's frames through the same network: this module slides it
over the clip and returns ``(B, C, T')`` features in the dataset's layout. It is the real-data
counterpart of :class:`GridMotionExtractor` and, like it, names no task.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from dlm_core.tasks.snippet_windows import SnippetWindows

from ...registry import MODELS, build_in_scope


@MODELS.register_module()
class ClipBackboneExtractor(SnippetWindows):
    """``(B, T, 3, H, W)`` frames in [0, 1] -> ``(B, C, T')`` features of a clip backbone.

    Args:
        backbone: a clip backbone returning ``(N, C)`` per clip, e.g. mmaction2's
            ``VisionTransformer`` with ``use_mean_pooling=True``, or a feature map
            ``(N, C, T, H, W)`` (mmaction2's I3D ``ResNet3d``), average-pooled as its head does.
        snippet_len, stride: frames per snippet and between snippet starts.
        img_size: frames are resized to ``img_size x img_size``.
        mean, std: the backbone's normalisation, on the 0-255 scale.
        checkpoint: weights of the backbone, a file or URL (a state dict, optionally under
            ``state_dict`` and a ``prefix`` such as ``'backbone.'``), loaded strictly.
        chunk: snippets per forward pass (bounds memory on long videos).
    """

    def __init__(
        self,
        backbone: dict,
        snippet_len: int = 16,
        stride: int = 4,
        img_size: int = 224,
        mean=(123.675, 116.28, 103.53),
        std=(58.395, 57.12, 57.375),
        checkpoint: str | None = None,
        prefix: str = 'backbone.',
        chunk: int = 32,
    ):
        super().__init__(snippet_len, stride)
        self.backbone = build_in_scope(MODELS, backbone)
        self.img_size, self.chunk = img_size, chunk
        self.register_buffer('mean', torch.tensor(mean).view(1, 3, 1, 1, 1), persistent=False)
        self.register_buffer('std', torch.tensor(std).view(1, 3, 1, 1, 1), persistent=False)
        if checkpoint is not None:
            self._load(checkpoint, prefix)

    def _load(self, checkpoint: str, prefix: str) -> None:
        from dlm_core.compat.safe_checkpoint import load_checkpoint_file

        if checkpoint.startswith(('http://', 'https://')):
            payload = torch.hub.load_state_dict_from_url(
                checkpoint, map_location='cpu', weights_only=True
            )
        else:
            payload = load_checkpoint_file(checkpoint)
        state = payload.get('state_dict', payload)
        if any(k.startswith(prefix) for k in state):
            state = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
        self.backbone.load_state_dict(state, strict=True)

    @torch.no_grad()
    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        frames = self.padded_frames(frames)
        batch = frames.shape[0]
        index = self.window_index(frames.shape[1])
        features = []
        for rows in index.split(self.chunk):
            clips = frames[:, rows.flatten()].reshape(batch * len(rows), self.snippet_len, 3,
                                                      *frames.shape[-2:])  # fmt: skip
            clips = clips.permute(0, 2, 1, 3, 4).float() * 255.0  # (N, 3, L, H, W)
            size = (self.snippet_len, self.img_size, self.img_size)
            clips = F.interpolate(clips, size=size, mode='trilinear', align_corners=False)
            out = self.backbone((clips - self.mean) / self.std)
            if out.dim() > 2:  # a feature map: global average pooling, as I3DHead does
                out = out.flatten(2).mean(dim=2)
            features.append(out.reshape(batch, len(rows), -1))
        return torch.cat(features, dim=1).transpose(1, 2).contiguous()

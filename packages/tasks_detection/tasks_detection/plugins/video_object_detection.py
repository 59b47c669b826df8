"""Video object detection (ImageNet VID) as a DLM task plugin: ``TemporalQueryDETR``."""

from __future__ import annotations

import torch
from mmdet.structures import DetDataSample
from mmengine.config import ConfigDict
from torch import nn

from dlm_core.tasks import TaskPlugin, TokenState
from dlm_core.tasks.frames import frames_to_view, inputs_to_frames

from ..models.temporal_query_detr import TemporalQueryDETR
from ..registry import MODELS, TASKS, build_in_scope


@TASKS.register_module()
class VideoObjectDetectionTask(TaskPlugin):
    """mmdet's Deformable DETR per frame + a temporal query stage, seen as ``L`` layers.

    Where the tap and the prompts go: **the middle of the Deformable DETR decoder** (layer
    ``L // 2`` of its ``L`` decoder layers), in **prefix mode** (``injection = 'prefix'``).

    * The decoder's tokens are the ``Q`` object queries of every frame of the clip (key and
      reference frames): ``(B, F * Q, D)``, a compact summary of what is where, and what the
      temporal stage fuses. The encoder's tokens are thousands of multi-scale pixels.
    * The encoder's attention is deformable (each pixel samples a few learned points around
      its reference point): it cannot take extra tokens at all. The decoder's cross-attention
      is deformable too, so a prompt *token* would need a reference point in the image that
      it does not have; but the decoder's self-attention over the queries is a standard
      multi-head attention. So the prompts become extra keys and values of that
      self-attention in every upper decoder layer (each frame's queries attend to them, with
      a zero position). They are never queries, so no head ever sees a prompt row.

    The stem is the backbone, the neck, the encoder and the initial queries; the head is the
    temporal stage (query fusion across frames and its prediction head), which reads the
    task's queries only. The per-frame head's box branches refine reference points inside
    the decoder layers (box refinement) and stay with the encoder.

    ``embed`` sees normalised clips without their data samples, so it assumes unpadded
    frames (a batch of one frame size, as the demo set and a fixed-size resize give).

    Args:
        model: config of the ``TemporalQueryDETR`` (built in this package's scope).
        view_size: ``(height, width)`` that another task's frames are resized to; ``None``
            keeps their size.
        view_ref_frames: reference frames taken around the middle (key) frame of another
            task's clip: the nearest ones, as ``NeighbourRefFrameSample`` takes them.
    """

    injection = 'prefix'
    supports_prompt_gate = True

    def __init__(
        self,
        model: dict,
        view_size: tuple[int, int] | None = None,
        view_ref_frames: int = 2,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.model = build_in_scope(MODELS, ConfigDict(model))
        if not isinstance(self.model, TemporalQueryDETR):
            raise TypeError(
                f'{type(self).__name__}: model must be a TemporalQueryDETR, got '
                f'{type(self.model).__name__}'
            )
        self.view_size = tuple(view_size) if view_size is not None else None
        self.view_ref_frames = int(view_ref_frames)

    # -- geometry ---------------------------------------------------------------------
    @property
    def embed_dim(self) -> int:
        return self.model.detector.embed_dims

    @property
    def num_layers(self) -> int:
        return self.model.num_decoder_layers

    @property
    def task_model(self) -> nn.Module:
        return self.model

    def head_modules(self) -> list[nn.Module]:
        if self.model.num_temporal_layers > 0:
            return [self.model.temporal_layers, self.model.frame_embed, self.model.temporal_head]
        return [self.model.detector.bbox_head.cls_branches]

    # -- the four operations ----------------------------------------------------------
    def embed(self, inputs: torch.Tensor) -> TokenState:
        """Normalised clips ``(B, F, 3, H, W)`` -> the initial queries of every frame."""
        if inputs.dim() != 5:
            raise ValueError(
                f'{type(self).__name__} takes clips (B, F, 3, H, W), got {tuple(inputs.shape)}'
            )
        batch, num_frames = inputs.shape[:2]
        shape = tuple(inputs.shape[-2:])
        samples = [
            DetDataSample(metainfo=dict(batch_input_shape=shape, img_shape=shape))
            for _ in range(batch * num_frames)
        ]
        decoder = self.model.frame_stem(inputs.flatten(0, 1), samples)
        extras = dict(decoder=decoder, batch=batch, layers_done=0, prefix=None)
        return TokenState(self._tokens(decoder['query'], batch), 0, extras)

    def run_layers(self, state, start, stop, prompts=None, gate=None):
        """Decoder layers ``[start, stop)``; ``prompts`` become extra keys/values of every
        later self-attention, gated by ``gate`` (exact start) when one is given."""
        extras = state.extras
        if start != extras['layers_done']:
            raise ValueError(
                f'{type(self).__name__}: this state has passed {extras["layers_done"]} decoder '
                f'layers, so run_layers must start there, not at {start}'
            )
        prefix = extras['prefix']
        gate = gate if gate is not None else extras.get('prompt_gate')
        if prompts is not None:
            if gate is not None and prefix is not None:
                raise ValueError('gated prompts join once: this state has prompts already')
            prefix = self._prefix(prompts, extras['decoder']['query'], extras['batch'], prefix)
        decoder = self.model.decoder_layers(
            extras['decoder'], start, stop, prefix=prefix, gate=gate
        )
        extras = dict(extras, decoder=decoder, layers_done=max(start, stop), prefix=prefix)
        if gate is not None:
            extras['prompt_gate'] = gate
        return TokenState(self._tokens(decoder['query'], extras['batch']), 0, extras)

    def loss(self, state: TokenState, data_samples: list) -> dict:
        self._check_complete(state, 'loss')
        return self.model.head_loss(state.extras['decoder'], data_samples)

    def predict(self, state: TokenState, data_samples: list) -> list:
        self._check_complete(state, 'predict')
        if data_samples is None:
            raise ValueError(f'{type(self).__name__}.predict needs the data samples (metainfo)')
        return self.model.head_predict(state.extras['decoder'], data_samples)

    # -- helpers ----------------------------------------------------------------------
    @staticmethod
    def _tokens(query: torch.Tensor, batch: int) -> torch.Tensor:
        """``(B * F, Q, D)`` frame queries -> ``(B, F * Q, D)`` tokens of the clip."""
        return query.reshape(batch, -1, query.shape[-1])

    def _prefix(self, prompts, query, batch, previous):
        if prompts.dim() != 3 or prompts.shape[0] != batch or prompts.shape[2] != query.shape[2]:
            raise ValueError(
                f'{type(self).__name__}: prompts must be (B={batch}, M, D={query.shape[2]}), '
                f'got {tuple(prompts.shape)}'
            )
        frames = query.shape[0] // batch
        prefix = prompts[:, None].expand(-1, frames, -1, -1).flatten(0, 1)
        return prefix if previous is None else torch.cat([previous, prefix], dim=1)

    def _check_complete(self, state: TokenState, what: str) -> None:
        if state.extras['layers_done'] != self.num_layers:
            raise ValueError(
                f'{type(self).__name__}.{what} needs all {self.num_layers} decoder layers, '
                f'the state has passed {state.extras["layers_done"]}'
            )

    # -- other tasks' samples ---------------------------------------------------------
    def shared_sample(self, inputs: torch.Tensor, data_samples: list) -> dict:
        """Normalised clips (frames in time order) back to RGB in [0, 1]."""
        return dict(frames=inputs_to_frames(inputs, self.model.data_preprocessor))

    def view(self, sample: dict) -> torch.Tensor:
        """Another task's frames ``(B, T, 3, H, W)`` in [0, 1] -> a clip of this detector: the
        middle frame as the key frame with its nearest frames as references, resized to
        ``view_size`` and normalised as the detector's preprocessor does."""
        frames = self.require_frames(sample)
        length = frames.shape[1]
        key = length // 2
        picked = [key]
        for step in range(1, length):
            for frame in (key - step, key + step):
                if 0 <= frame < length and len(picked) <= self.view_ref_frames:
                    picked.append(frame)
        picked += [key] * (self.view_ref_frames + 1 - len(picked))
        clip = frames[:, sorted(picked)].float()
        return frames_to_view(clip, self.model.data_preprocessor, size=self.view_size)

"""Action segmentation (ASFormer) as a DLM task plugin."""

from __future__ import annotations

import torch
from mmengine.registry import DefaultScope
from torch import nn

from dlm_core.tasks import TaskPlugin, TokenState

from ..models.action_segmentor import unpack_inputs
from ..registry import MODELS, SCOPE, TASKS

#: The ASFormer of the paper (I3D features, 50Salads classes) with its loss.
DEFAULT_MODEL = dict(
    type='ActionSegmentor',
    backbone=dict(type='ASFormer', in_channels=2048, num_classes=19),
)


@TASKS.register_module()
class ActionSegmentationTask(TaskPlugin):
    """ASFormer seen by the core: its encoder blocks are the layers, its encoder
    classifier plus the decoders are the head.

    * Layers: the ``num_layers`` encoder blocks (windows 1, 2, 4, ... frames); tokens
      ``(B, T, D)`` are the frames at the encoder's width (64). The default tap and
      prompt layer is the middle block.
    * Prompts, prefix mode: an ASFormer block attends inside local windows, so a prompt
      prepended to the sequence would sit in the first window only and be seen by the
      first few frames (and, as a fake frame, would shift every window and feed the
      dilated convolutions). Instead the prompts are extra keys and values of *every*
      window's attention in every block from the prompt layer on: each frame can read
      them wherever it lies, the frame grid and the convolutions stay untouched, and
      the prompts are never a query, so no prompt row ever reaches the head.
    * Auxiliary view: ASFormer reads per-frame features, so it sees another task's
      sample by running ``view_extractor`` (a registered frames-to-features module; the
      demo sets' :class:`SnippetFeatureExtractor` by default, I3D with real data) on its
      ``frames``; ``use_shared_features=True`` takes the sample's ``features`` instead,
      for a primary whose features come from the same extractor.

    Args:
        model: the :class:`ActionSegmentor` config (built in this package's scope).
        view_extractor: frames ``(B, T, 3, H, W)`` to features ``(B, C, T)``.
        use_shared_features: read ``features`` of the shared sample, not ``frames``.
    """

    injection = 'prefix'
    supports_prompt_gate = True

    def __init__(
        self,
        model: dict | None = None,
        view_extractor: dict | None = None,
        use_shared_features: bool = False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        with DefaultScope.overwrite_default_scope(SCOPE):
            self.model = MODELS.build(model or DEFAULT_MODEL)
            self.view_extractor = (
                MODELS.build(view_extractor or dict(type='SnippetFeatureExtractor'))
                if not use_shared_features
                else None
            )
        self.use_shared_features = use_shared_features

    # -- geometry ---------------------------------------------------------------------
    @property
    def backbone(self) -> nn.Module:
        return self.model.backbone

    @property
    def embed_dim(self) -> int:
        return self.backbone.embed_dims

    @property
    def num_layers(self) -> int:
        return self.backbone.num_layers

    @property
    def task_model(self) -> nn.Module:
        return self.model

    def head_modules(self) -> list[nn.Module]:
        return [self.backbone.encoder.classifier, self.backbone.decoders]

    # -- the four operations ----------------------------------------------------------
    def embed(self, inputs) -> TokenState:
        features, masks = unpack_inputs(inputs)
        feature = self.backbone.embed(features, masks)
        return TokenState(feature.transpose(1, 2), 0, dict(masks=masks, prompts=None))

    def run_layers(
        self, state: TokenState, start: int, stop: int, prompts=None, gate=None
    ) -> TokenState:
        """Encoder blocks ``[start, stop)``; ``prompts`` join every later window's keys and
        values, gated by ``gate`` (exact start) when one is given."""
        masks = state.extras['masks']
        gate = gate if gate is not None else state.gate
        if prompts is not None:
            batch, _, width = state.tokens.shape
            if prompts.dim() != 3 or prompts.shape[0] != batch or prompts.shape[2] != width:
                raise ValueError(
                    f'prompts of shape {tuple(prompts.shape)} cannot prompt ASFormer tokens of '
                    f'shape {tuple(state.tokens.shape)}: expected (B={batch}, M, D={width})'
                )
        else:
            prompts = state.extras.get('prompts')
        feature = self.backbone.forward_encoder(
            state.tokens.transpose(1, 2), masks, start, stop, prefix=prompts, gate=gate
        )
        extras = dict(state.extras, prompts=prompts)
        if gate is not None:
            extras['prompt_gate'] = gate
        return TokenState(feature.transpose(1, 2), 0, extras)

    def _stage_logits(self, state: TokenState) -> torch.Tensor:
        # the head reads the frames only: prompts live in extras, never in the sequence
        return self.backbone.forward_head(state.task_tokens.transpose(1, 2), state.extras['masks'])

    def loss(self, state: TokenState, data_samples: list) -> dict:
        return self.model.loss_from_logits(
            self._stage_logits(state), state.extras['masks'], data_samples
        )

    def predict(self, state: TokenState, data_samples: list) -> list:
        return self.model.predict_from_logits(
            self._stage_logits(state), state.extras['masks'], data_samples
        )

    # -- how tasks see each other -----------------------------------------------------
    def shared_sample(self, inputs, data_samples) -> dict:
        features, masks = unpack_inputs(inputs)
        sample = dict(features=features * masks[:, None].to(features.dtype))
        if isinstance(inputs, dict) and inputs.get('frames') is not None:
            sample['frames'] = inputs['frames']
            rates = [s.metainfo.get('clip_fps') for s in data_samples or []]
            if rates and all(r is not None for r in rates):
                sample['fps'] = float(sum(rates) / len(rates))
        return sample

    def view(self, sample: dict) -> dict:
        if self.use_shared_features:
            features = self.require(sample, 'features')
        else:
            features = self.view_extractor(self.require(sample, 'frames'))
        if features.shape[1] != self.backbone.in_channels:
            source = (
                'the shared features'
                if self.use_shared_features
                else f'its view_extractor {type(self.view_extractor).__name__}'
            )
            raise ValueError(
                f'{type(self).__name__}: ASFormer reads {self.backbone.in_channels}-d features '
                f'but {source} gives {features.shape[1]}-d ones; configure the extractor that '
                'made its training features'
            )
        masks = torch.ones(features.shape[0], features.shape[2], dtype=torch.bool)
        return dict(features=features, masks=masks.to(features.device))

"""Temporal action detection (THUMOS14) as a DLM task plugin.

The tapped and prompted encoder is the detector's stack of full-resolution transformer
layers; prompts are prepended (global attention takes extra tokens) and are always valid
keys, whatever the padding of the videos in the batch. The pyramid and the heads read the
snippet tokens only.
"""

from __future__ import annotations

import torch
from torch import nn

from dlm_core.tasks import TaskPlugin, TokenState

from ..registry import MODELS, TASKS, build_in_scope


@TASKS.register_module()
class TemporalDetectionTask(TaskPlugin):
    """Wraps a :class:`TemporalActionDetector`.

    Args:
        model: the detector's config.
        feature_extractor: builds features from another task's frames (its view); e.g.
            ``dict(type='GridMotionExtractor', ...)``, the one that made the features.
            Without it the model can only see samples that carry features of its width.
    """

    injection = 'prepend'
    supports_prompt_gate = True

    def __init__(self, model: dict, feature_extractor: dict | None = None, **kwargs):
        super().__init__(**kwargs)
        self.model = build_in_scope(MODELS, model)
        self.feature_extractor = (
            build_in_scope(MODELS, feature_extractor) if feature_extractor is not None else None
        )

    # -- geometry -----------------------------------------------------------------------
    @property
    def embed_dim(self) -> int:
        return self.model.embed_dims

    @property
    def num_layers(self) -> int:
        return len(self.model.layers)

    @property
    def task_model(self) -> nn.Module:
        return self.model

    def head_modules(self) -> list[nn.Module]:
        return self.model.head_modules()

    # -- encoder --------------------------------------------------------------------------
    def embed(self, inputs: dict) -> TokenState:
        tokens, masks = self.model.embed(inputs)
        return TokenState(tokens, 0, dict(masks=masks))

    def run_layers(
        self, state: TokenState, start: int, stop: int, prompts=None, gate=None
    ) -> TokenState:
        """Layers ``[start, stop)``; a prompt ``gate`` (exact start) gates the prompt
        rows' attention share in every layer."""
        if prompts is not None:
            state = state.prepend(prompts, gate)
        masks = state.extras['masks']
        if state.num_prompts:
            prompt_masks = masks.new_ones(masks.shape[0], state.num_prompts)
            masks = torch.cat([prompt_masks, masks], dim=1)
        tokens = self.model.encode(
            state.tokens, masks, start, stop, num_prompts=state.num_prompts, gate=state.gate
        )
        return TokenState(tokens, state.num_prompts, state.extras)

    # -- head ---------------------------------------------------------------------------
    def loss(self, state: TokenState, data_samples: list) -> dict:
        return self.model.head_loss(state.task_tokens, state.extras['masks'], data_samples)

    def predict(self, state: TokenState, data_samples: list) -> list:
        return self.model.head_predict(state.task_tokens, state.extras['masks'], data_samples)

    # -- views --------------------------------------------------------------------------
    def shared_sample(self, inputs: dict, data_samples: list) -> dict:
        """Features ``(B, C, T)``, their validity ``masks (B, T)``, the feature rate as
        ``fps``, and ``frames (B, T, 3, H, W)`` (one per snippet) where the dataset loads
        them."""
        meta = data_samples[0].metainfo if data_samples else {}
        sample = dict(features=inputs['features'], masks=inputs.get('masks'))
        if 'fps' in meta and 'feat_stride' in meta:
            sample['fps'] = float(meta['fps']) / float(meta['feat_stride'])
        if inputs.get('frames') is not None:
            sample['frames'] = inputs['frames']
        return sample

    def view(self, sample: dict) -> dict:
        """Features computed from another task's frames by :attr:`feature_extractor` (the
        extractor of this detector's training features) when both exist; else the other
        task's own features as they are, when they have this detector's width (right only
        when both tasks' features come from the same extractor)."""
        features = sample.get('features')
        width = self.model.in_channels
        if self.feature_extractor is None or 'frames' not in sample:
            if features is not None and features.shape[1] == width:
                return dict(features=features, masks=sample.get('masks'))
            have = 'no features' if features is None else f'features of width {features.shape[1]}'
            raise KeyError(
                f'{type(self).__name__} sees another task through its "frames" (with a '
                f'feature_extractor) or through features of width {width} (B, {width}, T); '
                f"the primary task's sample has {have} and keys {sorted(sample)}"
                + ('' if self.feature_extractor else ' (no feature_extractor configured)')
            )
        frames = sample['frames']
        extracted = self.feature_extractor(frames)
        if extracted.shape[1] != width:
            raise ValueError(
                f'{type(self).__name__}: the feature_extractor gives width {extracted.shape[1]}, '
                f'the detector reads {width}'
            )
        return dict(features=extracted)

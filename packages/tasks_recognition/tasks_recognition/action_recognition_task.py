"""mmaction2's VideoMAE recognizer as a DLM task plugin (docs/method.md §1, §3).

The wrapped model is mmaction2's own ``Recognizer3D`` with its ``VisionTransformer``
backbone, built from an ordinary mmaction2 model config, so a single-task checkpoint of
that recognizer loads into the plugin strictly. The plugin only re-orders the backbone's
forward pass (patch embedding + positions, blocks, norm + mean pooling) so that the core
can stop after block ``m`` (the tap) and let prompt tokens join the sequence from block
``m + 1`` on; the prompt rows are dropped before the pooling that feeds the head.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from mmaction.models import Recognizer3D, VisionTransformer
from mmengine.registry import DefaultScope

from dlm_core.models.gated_vit_block import gated_vit_block
from dlm_core.tasks import TaskPlugin, TokenState

from .clip_frames import frames_to_inputs, inputs_to_frames, resample_clip
from .registry import MODELS, SCOPE, TASKS


@TASKS.register_module()
class ActionRecognitionTask(TaskPlugin):
    """Action recognition on mmaction2's ``Recognizer3D`` + ``VisionTransformer``.

    Args:
        model: an mmaction2 recognizer config (``type='Recognizer3D'``, a
            ``VisionTransformer`` backbone, a classification head, its data preprocessor),
            built in this package's scope.
        checkpoint, tap_layer, prompt_layer: see :class:`dlm_core.tasks.TaskPlugin`.
    """

    injection = 'prepend'
    supports_prompt_gate = True

    def __init__(self, model: dict, **kwargs):
        super().__init__(**kwargs)
        with DefaultScope.overwrite_default_scope(SCOPE):
            self.model = MODELS.build(model)
        if not isinstance(self.model, Recognizer3D):
            raise TypeError(
                f"{type(self).__name__}: model must be mmaction2's Recognizer3D, the config "
                f'built {type(self.model).__name__}'
            )
        if not isinstance(self.model.backbone, VisionTransformer):
            raise TypeError(
                f"{type(self).__name__}: model.backbone must be mmaction2's VisionTransformer "
                f'(VideoMAE), the config built {type(self.model.backbone).__name__}'
            )
        if not self.model.with_cls_head:
            raise ValueError(f'{type(self).__name__}: model needs a cls_head')

    # -- geometry ---------------------------------------------------------------------
    @property
    def backbone(self) -> VisionTransformer:
        return self.model.backbone

    @property
    def embed_dim(self) -> int:
        return self.backbone.embed_dims

    @property
    def num_layers(self) -> int:
        return len(self.backbone.blocks)

    @property
    def tubelet_size(self) -> int:
        return self.backbone.patch_embed.projection.kernel_size[0]

    @property
    def img_size(self) -> int:
        return self.backbone.grid_size[0] * self.backbone.patch_size

    @property
    def num_frames(self) -> int:
        """Frames of one clip, read off the position table (the backbone keeps no field)."""
        grid_h, grid_w = self.backbone.grid_size
        return self.backbone.pos_embed.shape[1] // (grid_h * grid_w) * self.tubelet_size

    # -- the model --------------------------------------------------------------------
    @property
    def task_model(self) -> Recognizer3D:
        return self.model

    def head_modules(self):
        heads = [self.model.neck] if self.model.with_neck else []
        return heads + [self.model.cls_head]

    def encoder_parts(self) -> dict:
        """The transformer blocks: what hard parameter sharing trains jointly with another
        ViT task. The patch embedding stays the task's own (clip sizes differ per task)."""
        return {'model.backbone.blocks': self.backbone.blocks}

    # -- the four operations ----------------------------------------------------------
    def embed(self, inputs: torch.Tensor) -> TokenState:
        """Patch embedding plus positions, as ``VisionTransformer.forward`` does; the views of
        a sample (``(B, V, 3, T, H, W)``) become ``B * V`` clips, as in ``Recognizer3D``."""
        if inputs.ndim == 6:
            inputs = inputs.flatten(0, 1)
        if inputs.ndim != 5:
            raise ValueError(
                f'{type(self).__name__} takes (B, V, 3, T, H, W) or (B, 3, T, H, W) inputs, got '
                f'{tuple(inputs.shape)}'
            )
        patch = self.backbone.patch_size
        height, width = inputs.shape[-2] // patch, inputs.shape[-1] // patch
        tokens = self.backbone.patch_embed(inputs)[0]
        steps = tokens.shape[1] // (height * width)
        tokens = tokens + self._positions(steps, height, width)
        return TokenState(self.backbone.pos_drop(tokens), extras=dict(grid=(steps, height, width)))

    def _positions(self, steps: int, height: int, width: int) -> torch.Tensor:
        table = self.backbone.pos_embed
        grid_h, grid_w = self.backbone.grid_size
        if steps * grid_h * grid_w != table.shape[1]:
            raise ValueError(
                f'{type(self).__name__}: the backbone was built for clips of {self.num_frames} '
                f'frames (tubelet {self.tubelet_size}), the input has '
                f'{steps * self.tubelet_size} (sample clip_len={self.num_frames} in the pipeline)'
            )
        if (height, width) == (grid_h, grid_w):
            return table
        # other frame sizes: the backbone's bicubic resize of the spatial table
        grid = table.reshape(steps, grid_h, grid_w, -1).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, size=(height, width), mode='bicubic', align_corners=False)
        return grid.permute(0, 2, 3, 1).reshape(1, -1, table.shape[-1])

    def run_layers(
        self, state: TokenState, start: int, stop: int, prompts=None, gate=None
    ) -> TokenState:
        """Blocks ``[start, stop)``; with a prompt ``gate`` (exact start) the prompt rows'
        attention share is gated in every block (the gate stays in the state)."""
        if not 0 <= start <= stop <= self.num_layers:
            raise ValueError(f'layers [{start}, {stop}) are outside [0, {self.num_layers}]')
        if prompts is not None:
            state = state.prepend(prompts, gate)
        tokens, gate = state.tokens, state.gate
        for index in range(start, stop):
            block = self.backbone.blocks[index]
            if gate is None or not state.num_prompts:
                tokens = block(tokens)
            else:
                tokens = gated_vit_block(block, tokens, state.num_prompts, gate.layer(index))
        return TokenState(tokens, state.num_prompts, state.extras)

    def tokens(self, state: TokenState) -> torch.Tensor:
        return state.tokens

    def features(self, state: TokenState, data_samples=None):
        """What the backbone hands the neck/head, from the task tokens only (prompt rows
        dropped): the final norm, then mean pooling + ``fc_norm`` (VideoMAE), the first
        token, or the ``(B, D, T, h, w)`` map with ``return_feat_map``. Also the neck's
        auxiliary losses."""
        backbone = self.backbone
        tokens = backbone.norm(state.task_tokens)
        if backbone.return_feat_map:
            steps, height, width = state.extras['grid']
            feats = tokens.reshape(tokens.shape[0], steps, height, width, -1)
            feats = feats.permute(0, 4, 1, 2, 3)
        elif backbone.fc_norm is not None:
            feats = backbone.fc_norm(tokens.mean(1))
        else:
            feats = tokens[:, 0]
        loss_aux = {}
        if self.model.with_neck:
            feats, loss_aux = self.model.neck(feats, data_samples=data_samples)
        return feats, loss_aux

    def loss(self, state: TokenState, data_samples: list) -> dict:
        feats, loss_aux = self.features(state, data_samples)
        losses = self.model.cls_head.loss(feats, data_samples)
        losses.update(loss_aux or {})
        return losses

    def predict(self, state: TokenState, data_samples: list) -> list:
        feats, _ = self.features(state)
        test_cfg = self.model.test_cfg or {}
        return self.model.cls_head.predict(
            feats, data_samples, fcn_test=test_cfg.get('fcn_test', False)
        )

    # -- other tasks ------------------------------------------------------------------
    def shared_sample(self, inputs: torch.Tensor, data_samples: list) -> dict:
        """Frames ``(B * V, T, 3, H, W)`` in [0, 1] (normalisation undone; one clip per
        view, matching the token batch) and ``fps`` when the pipeline packed it."""
        sample = dict(frames=inputs_to_frames(inputs, self.model.data_preprocessor))
        fps = _clip_fps(data_samples)
        if fps is not None:
            sample['fps'] = fps
        return sample

    def view(self, sample: dict) -> torch.Tensor:
        """Another task's clip as this recognizer's input ``(B, 1, 3, T, S, S)``: frames
        spread over the clip, short side resized, centre crop, normalised."""
        frames = self.require(sample, 'frames')
        if frames.ndim != 5 or frames.shape[2] != 3:
            raise ValueError(
                f'{type(self).__name__}: sample["frames"] must be (B, T, 3, H, W) in [0, 1], '
                f'got {tuple(frames.shape)}'
            )
        clip = resample_clip(frames, self.num_frames, self.img_size)
        return frames_to_inputs(clip, self.model.data_preprocessor)


def _clip_fps(data_samples) -> float | None:
    """Frame rate of the sampled clip (``avg_fps / frame_interval``) when all samples agree."""
    rates = set()
    for sample in data_samples or ():
        info = sample.metainfo if hasattr(sample, 'metainfo') else {}
        if 'avg_fps' not in info:
            return None
        rates.add(round(float(info['avg_fps']) / float(info.get('frame_interval') or 1), 6))
    return rates.pop() if len(rates) == 1 else None

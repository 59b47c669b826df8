"""Video instance segmentation (YouTube-VIS) as a DLM task plugin: mmdet's Mask2FormerVideo."""

from __future__ import annotations

from collections import defaultdict

import torch
import torch.nn.functional as F
from mmdet.models.tracking_heads import Mask2FormerTrackHead
from mmdet.models.vis import Mask2FormerVideo
from mmdet.structures import TrackDataSample
from mmengine.config import ConfigDict
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData
from torch import nn

from dlm_core.tasks import TaskPlugin, TokenState
from dlm_core.tasks.frames import frames_to_view, inputs_to_frames

from ..models.mask2former_vis_steps import decoder_layer, decoder_stem, predict_layer
from ..registry import MODELS, SCOPE, TASKS


@TASKS.register_module()
class VideoInstanceSegmentationTask(TaskPlugin):
    """mmdet's ``Mask2FormerVideo`` (Mask2Former-VIS) seen as ``L`` encoder layers.

    Where the tap and the prompts go: **the middle of the transformer decoder** (layer
    ``L // 2`` of its ``L = 9`` masked-attention layers), not the pixel decoder's encoder.

    * Its tokens are the ``Q`` object queries, each one instance across all ``T`` frames
      (cross-attention reads the keys of every frame): a compact, video-level summary of
      what is where, ``(B, Q, D)`` with ``Q = 100``. The pixel decoder's tokens are per-frame
      pixels of three scales (``T * sum(h_l * w_l)``, thousands) that say little about
      instances yet.
    * Its self-attention over the queries is a standard multi-head attention, so prompts can
      join the sequence as the paper does (``injection = 'prepend'``): they take part in the
      self-attention and the masked cross-attention of every upper layer and are dropped
      before each prediction. The pixel decoder's encoder uses deformable attention, which
      cannot take extra tokens; prompting it would need an attention the model does not have.

    The stem is the backbone, the pixel decoder and the initial queries; the head is the
    decoder's ``post_norm`` with the class and mask embeddings, which predict after every
    layer (deep supervision, and the next layer's attention mask) on the task queries only.
    Prompt rows attend everywhere (no mask of their own) and have a zero query position.

    Args:
        model: config of the ``Mask2FormerVideo`` (built in this package's scope).
        view_size: ``(height, width)`` that another task's frames are resized to; ``None``
            keeps their size.
        view_frames: frames sampled uniformly from another task's clip; ``None`` keeps all.
    """

    injection = 'prepend'
    supports_prompt_gate = True

    def __init__(
        self,
        model: dict,
        view_size: tuple[int, int] | None = None,
        view_frames: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        with DefaultScope.overwrite_default_scope(SCOPE):
            # mmdet's heads read their sub-configs as attributes: a plain dict must become
            # a ConfigDict all the way down
            self.model = MODELS.build(ConfigDict(model))
        if not isinstance(self.model, Mask2FormerVideo) or not isinstance(
            getattr(self.model, 'track_head', None), Mask2FormerTrackHead
        ):
            raise TypeError(
                f'{type(self).__name__}: model must be an mmdet Mask2FormerVideo with a '
                f'Mask2FormerTrackHead, got {type(self.model).__name__}'
            )
        self.view_size = tuple(view_size) if view_size is not None else None
        self.view_frames = view_frames

    # -- geometry ---------------------------------------------------------------------
    @property
    def head(self) -> Mask2FormerTrackHead:
        return self.model.track_head

    @property
    def embed_dim(self) -> int:
        return self.head.decoder_embed_dims

    @property
    def num_layers(self) -> int:
        return self.head.num_transformer_decoder_layers

    @property
    def task_model(self) -> nn.Module:
        return self.model

    def head_modules(self) -> list[nn.Module]:
        head = self.head
        return [head.transformer_decoder.post_norm, head.cls_embed, head.mask_embed]

    # -- the four operations ----------------------------------------------------------
    def embed(self, inputs: torch.Tensor) -> TokenState:
        """``(B, T, 3, H, W)`` normalised frames -> the initial queries."""
        if inputs.dim() != 5:
            raise ValueError(
                f'{type(self).__name__} takes videos (B, T, 3, H, W), got {tuple(inputs.shape)}'
            )
        feats = self.model.backbone(inputs.flatten(0, 1))
        queries, context = decoder_stem(self.head, feats, inputs.shape[0])
        cls_pred, mask_pred, attn_mask = predict_layer(self.head, queries, context, 0)
        extras = dict(
            context=context,
            attn_mask=attn_mask,
            cls_preds=[cls_pred],
            mask_preds=[mask_pred],
            layers_done=0,
        )
        return TokenState(queries, 0, extras)

    def run_layers(self, state, start, stop, prompts=None, gate=None):
        """Decoder layers ``[start, stop)``; a prompt ``gate`` (exact start) gates the
        prompt rows' share of every later self-attention."""
        if prompts is not None:
            state = state.prepend(prompts, gate)
        extras = state.extras
        if start != extras['layers_done']:
            raise ValueError(
                f'{type(self).__name__}: this state has passed {extras["layers_done"]} decoder '
                f'layers, so run_layers must start there, not at {start}'
            )
        queries, attn_mask = state.tokens, extras['attn_mask']
        cls_preds, mask_preds = list(extras['cls_preds']), list(extras['mask_preds'])
        num_prompts, gate = state.num_prompts, state.gate
        for index in range(start, stop):
            layer_gate = gate.layer(index) if gate is not None and num_prompts else None
            queries = decoder_layer(
                self.head, index, queries, attn_mask, extras['context'], num_prompts, layer_gate
            )
            cls_pred, mask_pred, attn_mask = predict_layer(
                self.head, queries[:, num_prompts:], extras['context'], index + 1
            )
            cls_preds.append(cls_pred)
            mask_preds.append(mask_pred)
        extras = dict(
            extras,
            attn_mask=attn_mask,
            cls_preds=cls_preds,
            mask_preds=mask_preds,
            layers_done=max(start, stop),
        )
        return TokenState(queries, num_prompts, extras)

    def _check_complete(self, state: TokenState, what: str) -> None:
        if state.extras['layers_done'] != self.num_layers:
            raise ValueError(
                f'{type(self).__name__}.{what} needs all {self.num_layers} decoder layers, '
                f'the state has passed {state.extras["layers_done"]}'
            )

    def loss(self, state: TokenState, data_samples: list) -> dict:
        """mmdet's set-prediction loss over the predictions after every layer."""
        self._check_complete(state, 'loss')
        head = self.head
        gt_instances, img_metas = [], []
        for video, sample in enumerate(data_samples):
            if len(sample) != head.num_frames:
                raise ValueError(
                    f'{type(self).__name__}: training video {video} has {len(sample)} frames, '
                    f'the head is configured for num_frames={head.num_frames} (set the '
                    "pipeline's UniformRefFrameSample num_ref_imgs to num_frames - 1)"
                )
            metas = defaultdict(list)
            for frame in range(len(sample)):
                gt = sample[frame].gt_instances
                # preprocess_gt converts masks in place: give it a shallow copy
                gt_instances.append(InstanceData(metainfo=gt.metainfo, **dict(gt.items())))
                for key, value in sample[frame].metainfo.items():
                    metas[key].append(value)
            img_metas.append(metas)
        targets = head.preprocess_gt(gt_instances)
        return head.loss_by_feat(
            state.extras['cls_preds'], state.extras['mask_preds'], targets, img_metas
        )

    def predict(self, state: TokenState, data_samples: list) -> list:
        """Top-scoring tracks of each video, as ``Mask2FormerVideo.predict`` packs them."""
        self._check_complete(state, 'predict')
        if data_samples is None:
            raise ValueError(f'{type(self).__name__}.predict needs the data samples (metainfo)')
        cls_last, mask_last = state.extras['cls_preds'][-1], state.extras['mask_preds'][-1]
        results = []
        for video, sample in enumerate(data_samples):
            metas = [sample[frame].metainfo for frame in range(len(sample))]
            masks = F.interpolate(
                mask_last[video],
                size=tuple(metas[0]['batch_input_shape']),
                mode='bilinear',
                align_corners=False,
            )
            frames = []
            for frame, instances in enumerate(
                self.head.predict_by_feat(cls_last[video], masks, metas)
            ):
                sample[frame].pred_track_instances = instances
                frames.append(sample[frame])
            result = TrackDataSample()
            result.video_data_samples = frames
            results.append(result)
        return results

    # -- other tasks' samples ---------------------------------------------------------
    def shared_sample(self, inputs: torch.Tensor, data_samples: list) -> dict:
        """Normalised (and padded) frames back to RGB in [0, 1], padding cropped off."""
        frames = inputs_to_frames(inputs, self.model.data_preprocessor)
        if data_samples:
            shapes = [sample[0].metainfo.get('img_shape') for sample in data_samples]
            if all(shape is not None for shape in shapes):
                frames = frames[..., : max(s[0] for s in shapes), : max(s[1] for s in shapes)]
        return dict(frames=frames)

    def view(self, sample: dict) -> torch.Tensor:
        """Frames ``(B, T, 3, H, W)`` in [0, 1] -> this model's normalised, padded input."""
        frames = self.require(sample, 'frames')
        if frames.dim() != 5 or frames.shape[2] != 3:
            raise ValueError(
                f'{type(self).__name__}.view: "frames" must be (B, T, 3, H, W), got '
                f'{tuple(frames.shape)}'
            )
        return frames_to_view(
            frames,
            self.model.data_preprocessor,
            num_frames=self.view_frames,
            spread='ends',
            size=self.view_size,
        )

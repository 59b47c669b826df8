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
from mmaction.models import Recognizer3D, VisionTransformer
from mmengine.registry import DefaultScope

from dlm_core.tasks import TokenState, ViTEncoderTask
from dlm_core.tasks.frames import frames_to_view, inputs_to_frames

from ..registry import MODELS, SCOPE, TASKS


@TASKS.register_module()
class ActionRecognitionTask(ViTEncoderTask):
    """Action recognition on mmaction2's ``Recognizer3D`` + ``VisionTransformer``.

    Args:
        model: an mmaction2 recognizer config (``type='Recognizer3D'``, a
            ``VisionTransformer`` backbone, a classification head, its data preprocessor),
            built in this package's scope.
        checkpoint, tap_layer, prompt_layer: see :class:`dlm_core.tasks.TaskPlugin`.
    """

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
    def img_size(self) -> int:
        return self.clip_shape[1]

    @property
    def num_frames(self) -> int:
        return self.clip_shape[0]

    # -- the model --------------------------------------------------------------------
    @property
    def task_model(self) -> Recognizer3D:
        return self.model

    def head_modules(self):
        heads = [self.model.neck] if self.model.with_neck else []
        return heads + [self.model.cls_head]

    # -- the head ---------------------------------------------------------------------
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
        sample = dict(frames=inputs_to_frames(inputs, self.model.data_preprocessor, 'NCTHW'))
        fps = _clip_fps(data_samples)
        if fps is not None:
            sample['fps'] = fps
        return sample

    def view(self, sample: dict) -> torch.Tensor:
        """Another task's clip as this recognizer's input ``(B, 1, 3, T, S, S)``: frames
        spread over the clip, short side resized, centre crop, normalised."""
        frames = self.require_frames(sample)
        # The recognizer sees the clip as its own test pipeline cuts one (segment centres,
        # short-side resize, centre crop: what its checkpoint was evaluated on); the AVA
        # detector instead keeps the whole frame and the clip's whole span, because its
        # proposals are boxes in full-frame coordinates that a crop would cut off.
        clip = frames_to_view(
            frames,
            self.model.data_preprocessor,
            'NCTHW',
            num_frames=self.num_frames,
            spread='segments',
            size=self.img_size,
            fit='crop',
        )
        return clip.unsqueeze(1)


def _clip_fps(data_samples) -> float | None:
    """Frame rate of the sampled clip (``avg_fps / frame_interval``) when all samples agree."""
    rates = set()
    for sample in data_samples or ():
        info = sample.metainfo if hasattr(sample, 'metainfo') else {}
        if 'avg_fps' not in info:
            return None
        rates.add(round(float(info['avg_fps']) / float(info.get('frame_interval') or 1), 6))
    return rates.pop() if len(rates) == 1 else None

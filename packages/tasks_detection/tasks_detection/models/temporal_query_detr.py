"""A video object detector in the manner of TransVOD: a per-frame DETR plus a temporal stage.

Every frame of a clip (the key frame and its reference frames) goes through mmdet's
``DeformableDETR`` (backbone, neck, deformable encoder and decoder, as configured). Its
object queries after the last decoder layer are the frame's summary of what is where. The
temporal stage fuses them across time before the final prediction: ``num_temporal_layers``
of mmdet's ``DetrTransformerDecoderLayer`` let the key frame's queries self-attend and
cross-attend to the queries of all frames (tagged key / reference by a learned embedding),
and a second ``DeformableDETRHead`` predicts the key frame's boxes from the fused queries,
refining the per-frame boxes (TransVOD's temporal query encoder and temporal decoder, with
standard attention over the few queries instead of deformable attention over queries).

Training supervises both: the per-frame head on every frame (mmdet's loss, deep
supervision) and the temporal head on the key frame. ``use_temporal=False`` predicts with
the per-frame head alone: the same detector without its temporal stage.

The steps (:meth:`frame_stem`, :meth:`decoder_layers`, :meth:`temporal_hidden`, ...) are
public so that a DLM task plugin can run the decoder in two halves and prompt the upper one.
"""

from __future__ import annotations

import copy

import torch
from mmdet.models.detectors import DeformableDETR
from mmdet.models.layers import DetrTransformerDecoderLayer
from mmdet.models.layers.transformer import inverse_sigmoid
from mmdet.structures import TrackDataSample
from mmengine.config import ConfigDict
from mmengine.model import BaseModel, ModuleList
from torch import Tensor, nn

from ..registry import MODELS


@MODELS.register_module()
class TemporalQueryDETR(BaseModel):
    """Per-frame Deformable DETR + temporal query fusion (TransVOD's idea).

    Args:
        detector: config of the per-frame mmdet ``DeformableDETR`` (its own
            ``data_preprocessor`` is ignored; this model's handles the clips).
        num_temporal_layers: depth of the temporal stage (0: no temporal stage).
        temporal_layer_cfg: config of mmdet's ``DetrTransformerDecoderLayer``; the
            default is the detector's decoder layer geometry with standard attention.
        temporal_head: config of the temporal stage's head; default: a copy of the
            detector's ``bbox_head`` (own weights, one prediction layer per temporal layer).
        use_temporal: predict with the temporal head (``False``: the per-frame head).
        data_preprocessor: mmdet's ``TrackDataPreprocessor`` (clips ``(B, F, 3, H, W)``).
    """

    def __init__(
        self,
        detector: dict,
        num_temporal_layers: int = 1,
        temporal_layer_cfg: dict | None = None,
        temporal_head: dict | None = None,
        use_temporal: bool = True,
        data_preprocessor: dict | None = None,
        init_cfg: dict | None = None,
    ):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        detector = ConfigDict(copy.deepcopy(dict(detector)))
        detector.pop('data_preprocessor', None)
        head_cfg = copy.deepcopy(detector.get('bbox_head'))
        self.detector = MODELS.build(detector)
        if not isinstance(self.detector, DeformableDETR):
            raise TypeError(
                f'{type(self).__name__}: detector must be an mmdet DeformableDETR, got '
                f'{type(self.detector).__name__}'
            )
        if self.detector.as_two_stage:
            raise ValueError(
                f'{type(self).__name__}: as_two_stage=True is not supported (the temporal '
                'stage reads the decoder queries of a one-stage DeformableDETR)'
            )
        dims = self.detector.embed_dims
        self.num_temporal_layers = int(num_temporal_layers)
        self.use_temporal = bool(use_temporal) and self.num_temporal_layers > 0
        if self.num_temporal_layers > 0:
            if temporal_layer_cfg is None:
                dec_layer = self.detector.decoder.layers[0]
                heads = dec_layer.self_attn.num_heads
                temporal_layer_cfg = dict(
                    self_attn_cfg=dict(embed_dims=dims, num_heads=heads, dropout=0.0),
                    cross_attn_cfg=dict(embed_dims=dims, num_heads=heads, dropout=0.0),
                    ffn_cfg=dict(
                        embed_dims=dims,
                        feedforward_channels=dec_layer.ffn.feedforward_channels,
                        num_fcs=2,
                        ffn_drop=0.0,
                        act_cfg=dict(type='ReLU', inplace=True),
                    ),
                )
            self.temporal_layers = ModuleList(
                DetrTransformerDecoderLayer(**copy.deepcopy(temporal_layer_cfg))
                for _ in range(self.num_temporal_layers)
            )
            #: row 0 tags the key frame's queries, row 1 the reference frames'
            self.frame_embed = nn.Embedding(2, dims)
            head_cfg = ConfigDict(copy.deepcopy(dict(temporal_head or head_cfg)))
            head_cfg.update(
                share_pred_layer=False,
                num_pred_layer=self.num_temporal_layers,
                as_two_stage=False,
                train_cfg=self.detector.train_cfg,
                test_cfg=self.detector.test_cfg,
            )
            self.temporal_head = MODELS.build(head_cfg)

    # -- the steps --------------------------------------------------------------------
    @property
    def num_decoder_layers(self) -> int:
        return self.detector.decoder.num_layers

    def frame_stem(self, frames: Tensor, frame_samples: list) -> dict:
        """Frames ``(N, 3, H, W)`` -> the decoder's inputs (backbone, neck, encoder, the
        initial queries): a state dict for :meth:`decoder_layers`."""
        det = self.detector
        feats = det.extract_feat(frames)
        encoder_inputs, decoder_inputs = det.pre_transformer(feats, frame_samples)
        encoder_outputs = det.forward_encoder(**encoder_inputs)
        query_inputs, _ = det.pre_decoder(**encoder_outputs)
        decoder_inputs.update(query_inputs)
        decoder_inputs['references'] = [decoder_inputs['reference_points']]
        decoder_inputs['hidden_states'] = []
        return decoder_inputs

    def decoder_layers(
        self, state: dict, start: int, stop: int, prefix: Tensor | None = None, gate=None
    ):
        """Decoder layers ``[start, stop)`` on ``state`` (returns a new state).

        The loop of mmdet's ``DeformableDetrTransformerDecoder.forward`` (with box
        refinement when the detector has it). ``prefix`` ``(N, M, D)``: extra keys and
        values of each layer's self-attention (the queries attend to them; they are not
        queries, need no reference points and never reach a head). ``gate``: a
        ``PromptGate`` of the DLM core (exact start) that gates the prefix's share.
        """
        det = self.detector
        query, reference_points = state['query'], state['reference_points']
        valid_ratios = state['valid_ratios']
        hidden, references = list(state['hidden_states']), list(state['references'])
        for index in range(start, stop):
            if reference_points.shape[-1] == 4:
                ratios = torch.cat([valid_ratios, valid_ratios], -1)
            else:
                ratios = valid_ratios
            layer_inputs = dict(
                query_pos=state['query_pos'],
                value=state['memory'],
                key_padding_mask=state['memory_mask'],
                spatial_shapes=state['spatial_shapes'],
                level_start_index=state['level_start_index'],
                valid_ratios=valid_ratios,
                reference_points=reference_points[:, :, None] * ratios[:, None],
            )
            layer = det.decoder.layers[index]
            if prefix is None:
                query = layer(query, **layer_inputs)
            else:
                layer_gate = None if gate is None else gate.layer(index)
                query = _prefixed_layer(layer, query, prefix, layer_gate, **layer_inputs)
            if det.with_box_refine:
                delta = det.bbox_head.reg_branches[index](query)
                if reference_points.shape[-1] == 4:
                    new_points = (delta + inverse_sigmoid(reference_points)).sigmoid()
                else:
                    new_points = delta
                    new_points[..., :2] = delta[..., :2] + inverse_sigmoid(reference_points)
                    new_points = new_points.sigmoid()
                reference_points = new_points.detach()
            hidden.append(query)
            references.append(reference_points)
        return dict(
            state,
            query=query,
            reference_points=reference_points,
            hidden_states=hidden,
            references=references,
        )

    def temporal_hidden(self, queries: Tensor, query_pos: Tensor, key_index: Tensor) -> Tensor:
        """Fuse queries across time: ``queries``/``query_pos`` ``(B, F, Q, D)`` of all frames,
        ``key_index`` ``(B,)`` -> ``(num_temporal_layers, B, Q, D)`` key-frame queries."""
        batch, num_frames, num_queries, dims = queries.shape
        rows = torch.arange(batch, device=queries.device)
        is_ref = torch.ones(batch, num_frames, dtype=torch.long, device=queries.device)
        is_ref[rows, key_index] = 0
        memory = (queries + self.frame_embed(is_ref)[:, :, None]).flatten(1, 2)
        memory_pos = query_pos.flatten(1, 2)
        query, pos = queries[rows, key_index], query_pos[rows, key_index]
        outputs = []
        for layer in self.temporal_layers:
            query = layer(query, key=memory, value=memory, query_pos=pos, key_pos=memory_pos)
            outputs.append(query)
        return torch.stack(outputs)

    def _split(self, state: dict, batch: int, key_index: Tensor, fuse: bool = True):
        """Per-frame decoder outputs -> (key-frame hidden states and references,
        the fused temporal hidden states, or ``None`` without ``fuse``)."""
        hidden = torch.stack(state['hidden_states'])  # (L, B*F, Q, D)
        num_layers, _, num_queries, dims = hidden.shape
        rows = torch.arange(batch, device=hidden.device)
        per_video = hidden.view(num_layers, batch, -1, num_queries, dims)
        key_hidden = per_video[:, rows, key_index]
        key_refs = [
            ref.view(batch, -1, *ref.shape[1:])[rows, key_index] for ref in state['references']
        ]
        temporal = None
        if fuse and self.num_temporal_layers > 0:
            pos = state['query_pos'].reshape(batch, -1, num_queries, dims)
            temporal = self.temporal_hidden(per_video[-1], pos, key_index)
        return key_hidden, key_refs, temporal

    def temporal_references(self, key_refs: list) -> list:
        """The temporal head refines the key frame's last per-frame boxes."""
        return [key_refs[-1].detach()] * self.num_temporal_layers

    # -- loss and predict (also used by the DLM plugin) --------------------------------
    def head_loss(self, state: dict, data_samples: list) -> dict:
        """mmdet's set-prediction losses: per-frame head on every frame, temporal head on
        the key frames."""
        frame_samples = _frame_samples(data_samples)
        losses = self.detector.bbox_head.loss(
            torch.stack(state['hidden_states']), state['references'], None, None, frame_samples
        )
        losses = {f'frame.{k}': v for k, v in losses.items()}
        if self.num_temporal_layers > 0:
            key_index = _key_index(data_samples, state['query'].device)
            _, key_refs, temporal = self._split(state, len(data_samples), key_index)
            key_samples = [s.video_data_samples[int(k)] for s, k in zip(data_samples, key_index)]
            temporal_losses = self.temporal_head.loss(
                temporal, self.temporal_references(key_refs), None, None, key_samples
            )
            losses.update({f'temporal.{k}': v for k, v in temporal_losses.items()})
        return losses

    def head_predict(self, state: dict, data_samples: list, rescale: bool = True) -> list:
        """Boxes of each clip's key frame; the clip's sample keeps only its key frame (as
        mmdet's ``CocoVideoMetric`` reads one frame per item)."""
        key_index = _key_index(data_samples, state['query'].device)
        key_hidden, key_refs, temporal = self._split(
            state, len(data_samples), key_index, fuse=self.use_temporal
        )
        key_samples = [s.video_data_samples[int(k)] for s, k in zip(data_samples, key_index)]
        if self.use_temporal:
            results = self.temporal_head.predict(
                temporal, self.temporal_references(key_refs), key_samples, rescale=rescale
            )
        else:
            results = self.detector.bbox_head.predict(
                key_hidden, key_refs, key_samples, rescale=rescale
            )
        for track_sample, key_sample, result in zip(data_samples, key_samples, results):
            key_sample.pred_instances = result
            track_sample.video_data_samples = [key_sample]
        return list(data_samples)

    def run(self, inputs: Tensor, data_samples: list) -> dict:
        """Clips ``(B, F, 3, H, W)`` -> the state after every decoder layer."""
        if inputs.dim() != 5:
            raise ValueError(
                f'{type(self).__name__} takes clips (B, F, 3, H, W), got {tuple(inputs.shape)}'
            )
        state = self.frame_stem(inputs.flatten(0, 1), _frame_samples(data_samples))
        return self.decoder_layers(state, 0, self.num_decoder_layers)

    # -- BaseModel --------------------------------------------------------------------
    def forward(self, inputs: Tensor, data_samples: list | None = None, mode: str = 'tensor'):
        if mode == 'loss':
            return self.head_loss(self.run(inputs, data_samples), data_samples)
        if mode == 'predict':
            return self.head_predict(self.run(inputs, data_samples), data_samples)
        if mode == 'tensor':
            state = self.run(inputs, data_samples)
            return torch.stack(state['hidden_states'])
        raise ValueError(f'{type(self).__name__}: unknown mode {mode!r} (loss, predict, tensor)')


def _prefixed_layer(layer, query: Tensor, prefix: Tensor, gate, query_pos: Tensor, value, **kwargs):
    """mmdet's ``DetrTransformerDecoderLayer.forward`` with ``prefix`` as extra keys and
    values of the self-attention (prefix rows get no position). With ``gate`` (a
    ``LayerGate``), the queries' own self-attention stays as in the plain layer and the
    prefix adds its gated term (exact start)."""
    prefix = prefix.to(query.dtype)
    if gate is None:
        keys = torch.cat([prefix, query], dim=1)
        key_pos = torch.cat([torch.zeros_like(prefix), query_pos], dim=1)
        query = layer.self_attn(
            query=query, key=keys, value=keys, identity=query, query_pos=query_pos, key_pos=key_pos
        )
    else:
        term = gate.mha_prompt_term(layer.self_attn.attn, query + query_pos, prefix, prefix)
        query = layer.self_attn(
            query=query, key=query, value=query, query_pos=query_pos, key_pos=query_pos
        )
        query = query + term
    query = layer.norms[0](query)
    query = layer.cross_attn(query=query, value=value, query_pos=query_pos, **kwargs)
    query = layer.norms[1](query)
    query = layer.ffn(query)
    return layer.norms[2](query)


def _frame_samples(data_samples: list) -> list:
    """Every frame's ``DetDataSample`` of a batch of ``TrackDataSample``, clip by clip."""
    frames = []
    for index, sample in enumerate(data_samples):
        if not isinstance(sample, TrackDataSample):
            raise TypeError(
                f'TemporalQueryDETR takes TrackDataSample items (PackTrackInputs), got '
                f'{type(sample).__name__} at batch index {index}'
            )
        frames.extend(sample.video_data_samples)
    return frames


def _key_index(data_samples: list, device) -> Tensor:
    """Position of each clip's key frame (``key_frames_inds`` of ``PackTrackInputs``)."""
    index = []
    for sample in data_samples:
        keys = sample.metainfo.get('key_frames_inds')
        if not keys or len(keys) != 1:
            raise ValueError(
                'TemporalQueryDETR needs exactly one key frame per clip (a frame sampler such '
                'as UniformRefFrameSample or NeighbourRefFrameSample sets key_frame_flags), '
                f'got key_frames_inds={keys!r}'
            )
        index.append(keys[0])
    return torch.as_tensor(index, dtype=torch.long, device=device)

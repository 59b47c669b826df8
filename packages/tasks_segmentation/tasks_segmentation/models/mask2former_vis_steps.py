"""mmdet's ``Mask2FormerTrackHead.forward``, cut into steps a task plugin can stop between.

The head's own ``forward`` runs its nine decoder layers in one loop and takes the batch size
from ``self.training`` (``1`` in ``eval()``), so it can neither stop at the middle layer,
nor take extra query tokens, nor run a frozen head (always in ``eval()``) on more than one
video. These functions call the head's own modules and methods in the same order with the
same arguments, so with no prompt the result is mmdet's, bit for bit (tested), and they add
the two things the plugin needs: a start and a stop layer, and prompt rows in front of the
queries. Prompt rows get a zero query position and an attention mask that hides nothing
(they have no mask prediction of their own); they are never read by the prediction head.
With a prompt gate (the DLM core's exact start) the task queries' self-attention is the
layer's own over the task queries alone, plus the prompts' gated term.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn


@dataclass
class DecoderContext:
    """What every decoder layer of one batch reads: the pixel decoder's output.

    ``mask_features`` ``(B, T, C, h, w)``; per feature level ``l`` (low to high resolution)
    ``keys[l]`` and ``key_pos[l]`` ``(B, T*h_l*w_l, C)`` and ``sizes[l] = (h_l, w_l)``;
    ``query_pos`` ``(B, Q, C)`` the learnt query positions.
    """

    mask_features: Tensor
    keys: list[Tensor]
    key_pos: list[Tensor]
    sizes: list[tuple[int, int]]
    query_pos: Tensor


def decoder_stem(head: nn.Module, feats, batch_size: int) -> tuple[Tensor, DecoderContext]:
    """Pixel decoder and initial queries: ``(query_feat (B, Q, C), context)``.

    ``feats`` are the backbone's multi-scale maps of ``batch_size * T`` frames, videos
    outermost (as ``Mask2FormerVideo`` flattens ``(N, T, C, H, W)``).
    """
    mask_features, memories = head.pixel_decoder(feats)
    frames_in_batch, channels, height, width = mask_features.shape
    if frames_in_batch % batch_size:
        raise ValueError(
            f'{frames_in_batch} frames cannot be split into {batch_size} videos of equal length'
        )
    num_frames = frames_in_batch // batch_size
    mask_features = mask_features.view(batch_size, num_frames, channels, height, width)
    keys, key_pos, sizes = [], [], []
    for level in range(head.num_transformer_feat_level):
        memory = memories[level]
        key = head.decoder_input_projs[level](memory).flatten(2)
        key = key + head.level_embed.weight[level][None, :, None]
        _, dims, area = key.shape
        # (B*T, C, h*w) -> (B, T*h*w, C), frames outermost inside a video
        keys.append(key.view(batch_size, num_frames, dims, area).permute(0, 1, 3, 2).flatten(1, 2))
        padding = key.new_zeros((batch_size, num_frames) + memory.shape[-2:], dtype=torch.bool)
        position = head.decoder_positional_encoding(padding)
        key_pos.append(position.flatten(3).permute(0, 1, 3, 2).flatten(1, 2))
        sizes.append(tuple(memory.shape[-2:]))
    query_feat = head.query_feat.weight.unsqueeze(0).repeat((batch_size, 1, 1))
    query_pos = head.query_embed.weight.unsqueeze(0).repeat((batch_size, 1, 1))
    return query_feat, DecoderContext(mask_features, keys, key_pos, sizes, query_pos)


def predict_layer(
    head: nn.Module, queries: Tensor, context: DecoderContext, layer: int
) -> tuple[Tensor, Tensor, Tensor]:
    """Class and mask predictions of the queries that leave ``layer`` layers (0: the
    initial queries), and the attention mask the next layer uses: ``_forward_head``."""
    size = context.sizes[layer % head.num_transformer_feat_level]
    return head._forward_head(queries, context.mask_features, size)


def decoder_layer(
    head: nn.Module,
    index: int,
    queries: Tensor,
    attn_mask: Tensor,
    context: DecoderContext,
    num_prompts: int = 0,
    gate=None,
) -> Tensor:
    """Decoder layer ``index`` (0-based) on ``(B, P + Q, C)`` queries, ``P = num_prompts``
    prompt rows first; ``attn_mask`` ``(B * heads, Q, T*h*w)`` is the task queries' mask;
    ``gate`` (a ``LayerGate``) gates the prompt rows' share of the self-attention."""
    level = index % head.num_transformer_feat_level
    attn_mask = attn_mask.clone()
    # a query whose mask hides everything attends everywhere (as mmdet does)
    attn_mask[torch.where(attn_mask.sum(-1) == attn_mask.shape[-1])] = False
    query_pos = context.query_pos
    if num_prompts:
        batch, _, dims = queries.shape
        rows = attn_mask.new_zeros((attn_mask.shape[0], num_prompts, attn_mask.shape[2]))
        attn_mask = torch.cat([rows, attn_mask], dim=1)
        query_pos = torch.cat([query_pos.new_zeros((batch, num_prompts, dims)), query_pos], 1)
    layer = head.transformer_decoder.layers[index]
    keys, key_pos = context.keys[level], context.key_pos[level]
    if gate is None or not num_prompts:
        return layer(
            query=queries,
            key=keys,
            value=keys,
            query_pos=query_pos,
            key_pos=key_pos,
            cross_attn_mask=attn_mask,
            query_key_padding_mask=None,
            key_padding_mask=None,
        )
    # Mask2FormerTransformerDecoderLayer.forward, its self-attention split in two
    queries = layer.cross_attn(
        query=queries,
        key=keys,
        value=keys,
        query_pos=query_pos,
        key_pos=key_pos,
        attn_mask=attn_mask,
        key_padding_mask=None,
    )
    queries = layer.norms[0](queries)
    prompts, task = queries[:, :num_prompts], queries[:, num_prompts:]
    prompt_pos, task_pos = query_pos[:, :num_prompts], query_pos[:, num_prompts:]
    task_out = layer.self_attn(
        query=task, key=task, value=task, query_pos=task_pos, key_pos=task_pos
    )
    task_out = task_out + gate.mha_prompt_term(
        layer.self_attn.attn, task + task_pos, prompts + prompt_pos, prompts
    )
    prompt_out = layer.self_attn(
        query=prompts, key=queries, value=queries, query_pos=prompt_pos, key_pos=query_pos
    )
    queries = layer.norms[1](torch.cat([prompt_out, task_out], dim=1))
    return layer.norms[2](layer.ffn(queries))

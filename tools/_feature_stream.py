"""Running a frames-to-features extractor over a long video a chunk of frames at a time.

The registered extractors take a whole clip ``(B, T, 3, H, W)`` and return ``(B, C, T')``;
fed a full-resolution untrimmed video they hold it as floats several times over (about
10 GB for 795 frames of 768x576). Each output step only depends on a few neighbouring
frames, so the video can go through in chunks that overlap by that context, and the
concatenated features equal the whole-clip ones (up to float rounding):

* snippet extractors (``snippet_len``, ``stride``: ``GridMotionExtractor``,
  ``ClipBackboneExtractor``): snippet ``t`` reads frames ``[t * stride, t * stride +
  snippet_len)``; a chunk of ``k`` snippets reads ``snippet_len + (k - 1) * stride`` frames
  and the next chunk starts ``k * stride`` frames later;
* per-frame extractors with a temporal neighbourhood (``SnippetFeatureExtractor``: frame
  ``t`` with ``t - 1`` and ``t + 1``, one-sided at the ends): chunks overlap by that
  neighbourhood and the edge outputs of inner chunks are dropped.

An extractor of another kind has no known neighbourhood: it gets the whole video at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import torch
from torch import nn

#: extractor class name -> frames of context on each side of a per-frame output
PER_FRAME_CONTEXT = {'SnippetFeatureExtractor': 1}


def streaming_rule(extractor: nn.Module) -> str:
    """``'snippet'``, ``'per_frame'`` or ``'whole'`` (no known neighbourhood)."""
    if type(extractor).__name__ in PER_FRAME_CONTEXT:
        return 'per_frame'
    if all(hasattr(extractor, name) for name in ('snippet_len', 'stride', 'num_snippets')):
        return 'snippet'
    return 'whole'


def frame_step(extractor: nn.Module) -> int:
    """Frames between consecutive outputs: ``stride`` of a snippet extractor, else 1."""
    return int(extractor.stride) if streaming_rule(extractor) == 'snippet' else 1


def _run(extractor: nn.Module, frames: list[np.ndarray]) -> np.ndarray:
    clip = torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2)[None]
    with torch.no_grad():
        return extractor(clip.float().div_(255.0))[0].cpu().numpy().astype(np.float32)


def stream_features(
    extractor: nn.Module,
    frames: Iterator[np.ndarray],
    chunk_frames: int = 64,
    on_frames: Callable[[int], None] | None = None,
) -> np.ndarray:
    """``(C, T')`` features of a stream of ``(H, W, 3)`` uint8 RGB frames.

    ``chunk_frames`` bounds the frames held at once (plus the overlap); ``on_frames(n)``
    is told of every ``n`` frames consumed (a progress bar).
    """
    if on_frames is not None:
        frames = _counted(frames, on_frames, every=max(1, chunk_frames // 2))
    rule = streaming_rule(extractor)
    if rule == 'snippet':
        return _stream_snippets(extractor, frames, chunk_frames)
    if rule == 'per_frame':
        context = PER_FRAME_CONTEXT[type(extractor).__name__]
        return _stream_per_frame(extractor, frames, chunk_frames, context)
    return _run(extractor, list(frames))


def _counted(frames, on_frames, every: int):
    """``frames`` unchanged, telling ``on_frames`` of every ``every`` frames passed on."""
    count = 0
    for frame in frames:
        yield frame
        count += 1
        if count == every:
            on_frames(count)
            count = 0
    if count:
        on_frames(count)


def _stream_snippets(extractor, frames, chunk_frames) -> np.ndarray:
    length, stride = int(extractor.snippet_len), int(extractor.stride)
    per_chunk = max(1, (max(chunk_frames, length) - length) // stride + 1)
    needed = length + (per_chunk - 1) * stride
    buffer, outputs, seen = [], [], 0
    for frame in frames:
        buffer.append(frame)
        seen += 1
        if len(buffer) == needed:
            outputs.append(_run(extractor, buffer))
            del buffer[: per_chunk * stride]
    if seen < length:  # a clip shorter than one snippet: the extractor pads it
        return _run(extractor, buffer)
    if len(buffer) >= length:
        outputs.append(_run(extractor, buffer))
    return np.concatenate(outputs, axis=1)


def _stream_per_frame(extractor, frames, chunk_frames, context) -> np.ndarray:
    """Chunks of ``chunk_frames`` outputs, each computed with ``context`` frames of the
    neighbouring chunks on both sides (none beyond the video's ends)."""
    chunk_frames = max(1, chunk_frames)
    buffer, outputs = [], []
    start = 0  # video index of buffer[0]
    done = 0  # outputs produced so far
    for frame in frames:
        buffer.append(frame)
        # outputs [done, done + chunk) need frames up to done + chunk + context
        if start + len(buffer) >= done + chunk_frames + context:
            features = _run(extractor, buffer)
            first = done - start
            outputs.append(features[:, first : first + chunk_frames])
            done += chunk_frames
            keep_from = done - context - start
            del buffer[:keep_from]
            start += keep_from
    if start + len(buffer) > done:
        features = _run(extractor, buffer)
        outputs.append(features[:, done - start :])
    return np.concatenate(outputs, axis=1)

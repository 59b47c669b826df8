"""Boxes on frames: AVA actions (mmaction2's RoI head on given boxes) and ImageNet VID
objects (the video detector), drawn with mmdet's ``DetLocalVisualizer``.

A raw video has none of the files these configs' test pipelines read (AVA's rawframes and
proposal pickle, ImageNet VID's COCO-video json), so the clip around each shown frame goes
through the plugin's own ``view`` (the auxiliary view of a shared sample: frame sampling,
resizing and normalisation as the model was trained), and the data samples carry the
geometry the heads need to put boxes back into the frame's pixels.
"""

from __future__ import annotations

import csv

import numpy as np
import torch
from mmaction.structures import ActionDataSample
from mmdet.structures import DetDataSample, TrackDataSample
from mmdet.visualization import DetLocalVisualizer
from mmengine.structures import InstanceData

from dlm_core.errors import DataError
from dlm_core.visualization import RawVideo, TaskViewer, ViewResult, palette, register_viewer

from ..plugins.spatio_temporal import SpatioTemporalDetectionTask
from ..plugins.video_object_detection import VideoObjectDetectionTask

PANEL_SIDE = 360


def find_transform(pipeline, name: str) -> dict | None:
    """The first transform of type ``name`` in a pipeline, looking inside wrappers
    (``TransformBroadcaster(transforms=[...])``)."""
    for transform in pipeline or []:
        kind = str(transform.get('type', '')).rpartition('.')[2]
        if kind == name:
            return transform
        inner = find_transform(transform.get('transforms'), name)
        if inner is not None:
            return inner
    return None


def test_pipeline(cfg) -> list:
    for loader in ('test_dataloader', 'val_dataloader'):
        pipeline = ((cfg.get(loader) or {}).get('dataset') or {}).get('pipeline')
        if pipeline:
            return list(pipeline)
    return []


def resized_shape(cfg, height: int, width: int) -> tuple[int, int]:
    """The ``(h, w)`` the config's test ``Resize`` gives a ``height x width`` frame."""
    resize = find_transform(test_pipeline(cfg), 'Resize')
    if resize is None or resize.get('scale') is None:
        return height, width
    scale = resize['scale']
    if not resize.get('keep_ratio', False):
        return int(scale[1]), int(scale[0])
    long_side, short_side = max(scale), min(scale)
    factor = min(long_side / max(height, width), short_side / min(height, width))
    return int(height * factor + 0.5), int(width * factor + 0.5)


def to_clip(frames: np.ndarray) -> torch.Tensor:
    """``(T, H, W, 3)`` uint8 -> the shared sample's ``(1, T, 3, H, W)`` in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2)[None].float() / 255


def shrink(image: np.ndarray, side: int = PANEL_SIDE) -> np.ndarray:
    import cv2

    height, width = image.shape[:2]
    if max(height, width) <= side:
        return image
    factor = side / max(height, width)
    size = (round(width * factor), round(height * factor))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


class _BoxViewer(TaskViewer):
    def _visualizer(self) -> DetLocalVisualizer:
        vis = DetLocalVisualizer(name=f'dlm_boxes_{id(self)}_{np.random.randint(1 << 30)}')
        vis.dataset_meta = dict(classes=self.classes, palette=[palette(i) for i in range(256)])
        return vis

    def draw_boxes(self, frame, boxes, captions, colours) -> np.ndarray:
        vis = self._visualizer()
        vis.set_image(frame)
        line = max(1, round(max(frame.shape[:2]) / 200))
        for box, caption, colour in zip(boxes, captions, colours):
            vis.draw_bboxes(np.asarray(box)[None], edge_colors=[colour], line_widths=line)
            size = max(8, round(max(frame.shape[:2]) / 40))
            vis.draw_texts(
                caption,
                np.array([box[0] + line, box[1] + line]),
                font_sizes=size,
                colors='white',
                bboxes=[dict(facecolor=np.array(colour) / 255, alpha=0.8, pad=0.5)],
            )
        return vis.get_image()


@register_viewer(SpatioTemporalDetectionTask)
class SpatioTemporalViewer(_BoxViewer):
    """AVA: the actions of each box (ground-truth boxes of ``--gt``, an AVA csv, or the
    whole frame) at a few key frames, each with the config's clip around it."""

    def run(self, video: RawVideo, gt: str | None = None) -> ViewResult:
        sampler = find_transform(test_pipeline(self.cfg), 'SampleAVAFrames') or {}
        length = int(sampler.get('clip_len', self.plugin.clip_shape[0]))
        interval = int(sampler.get('frame_interval', 1))
        keys = self.panel_frames(video)
        offsets = (np.arange(length) - length // 2) * interval
        clips = [np.clip(k + offsets, 0, video.num_frames - 1) for k in keys]
        wanted = sorted({int(i) for clip in clips for i in clip})
        decoded = dict(zip(wanted, video.read(wanted, max_side=640)))
        truth = read_ava_boxes(gt, video.name) if gt else {}
        panels, predictions = [], []
        for key, clip in zip(keys, clips):
            frames = np.stack([decoded[int(i)] for i in clip])
            inputs = self.plugin.view(dict(frames=to_clip(frames), fps=video.fps / interval))
            height, width = inputs.shape[-2:]
            boxes = truth.get(round(key / video.fps), [np.array([0.0, 0.0, 1.0, 1.0])])
            sample = ActionDataSample()
            sample.set_metainfo(dict(img_shape=(height, width)))
            scale = np.array([width, height, width, height], np.float32)
            sample.proposals = InstanceData(
                bboxes=torch.from_numpy(np.stack(boxes).astype(np.float32) * scale)
            )
            result = self.model(inputs, [sample], mode='predict')[0].pred_instances
            frame = frames[length // 2]
            frame_h, frame_w = frame.shape[:2]
            pixels = result.bboxes.cpu().numpy() * [frame_w, frame_h, frame_w, frame_h]
            scores = result.scores.cpu().numpy()
            drawn, captions, colours = [], [], []
            for number, (box, row) in enumerate(zip(pixels, scores)):
                start = 1 if len(self.classes) == len(row) and len(row) > 1 else 0
                order = [int(c) for c in np.argsort(-row) if c >= start]
                best = [c for c in order if row[c] >= self.score_thr][:3] or order[:1]
                captions.append(', '.join(f'{self.class_name(c)} {row[c]:.2f}' for c in best))
                colours.append(palette(number))
                drawn.append(box)
                labels = [(self.class_name(c), float(row[c])) for c in best]
                predictions.append(dict(frame=key, box=box.tolist(), labels=labels))
            panels.append(shrink(self.draw_boxes(frame, drawn, captions, colours)))
        summary = f'AVA: actions of {len(predictions)} box(es) at {len(keys)} key frames'
        return ViewResult(
            panels=panels, summary=summary, predictions=predictions, panel_frames=list(keys)
        )


def read_ava_boxes(path: str, video_id: str) -> dict[int, list[np.ndarray]]:
    """``{timestamp: [box (x1, y1, x2, y2) in [0, 1]]}`` of ``video_id`` in an AVA csv
    (``video_id, timestamp, x1, y1, x2, y2, action, person``; each person box once)."""
    boxes: dict[int, dict] = {}
    with open(path, newline='') as handle:
        for number, row in enumerate(csv.reader(handle), 1):
            if len(row) < 6 or row[0] != video_id:
                continue
            try:
                key = int(float(row[1]))
                box = np.array([float(v) for v in row[2:6]], np.float32)
            except ValueError:
                raise DataError(
                    f'{path} line {number}: expected video_id, timestamp, x1, y1, '
                    f'x2, y2, ... with numbers, got {row[:6]}'
                ) from None
            boxes.setdefault(key, {})[tuple(box.round(3))] = box
    if not boxes:
        raise DataError(f'{path}: no row names video {video_id!r} (the file name of the video)')
    return {key: list(found.values()) for key, found in boxes.items()}


@register_viewer(VideoObjectDetectionTask)
class VideoObjectViewer(_BoxViewer):
    """ImageNet VID: the boxes of a few key frames, each detected with its nearest
    reference frames as the config's test sampler gives them."""

    #: boxes drawn per frame at most (the best-scoring ones)
    max_boxes = 20

    def run(self, video: RawVideo, gt: str | None = None) -> ViewResult:
        height, width = resized_shape(self.cfg, video.height, video.width)
        self.plugin.view_size = (height, width)
        refs = self.plugin.view_ref_frames
        keys = self.panel_frames(video)
        windows = [
            [min(max(k + d, 0), video.num_frames - 1) for d in range(-refs, refs + 1)] for k in keys
        ]
        wanted = sorted({i for window in windows for i in window})
        decoded = dict(zip(wanted, video.read(wanted)))
        panels, predictions = [], []
        for key, window in zip(keys, windows):
            frames = np.stack([decoded[i] for i in window])
            inputs = self.plugin.view(dict(frames=to_clip(frames)))
            ori_h, ori_w = frames.shape[1:3]
            metas = dict(
                img_shape=(height, width),
                ori_shape=(ori_h, ori_w),
                scale_factor=(width / ori_w, height / ori_h),
                batch_input_shape=tuple(inputs.shape[-2:]),
                pad_shape=tuple(inputs.shape[-2:]),
            )
            sample = TrackDataSample()
            sample.video_data_samples = [
                DetDataSample(metainfo=dict(metas, frame_id=i, img_id=i))
                for i in range(inputs.shape[1])
            ]
            sample.set_metainfo(dict(key_frames_inds=[key_position(len(window), refs)]))
            result = self.model(inputs, [sample], mode='predict')[0]
            instances = result.video_data_samples[0].pred_instances
            keep = instances.scores >= self.score_thr
            keep &= torch.arange(len(keep)) < self.max_boxes  # sorted by score
            boxes = instances.bboxes[keep].cpu().numpy()
            labels = instances.labels[keep].cpu().numpy()
            scores = instances.scores[keep].cpu().numpy()
            captions = [f'{self.class_name(c)} {s:.2f}' for c, s in zip(labels, scores)]
            colours = [palette(int(c)) for c in labels]
            frame = frames[len(window) // 2]
            panels.append(shrink(self.draw_boxes(frame, boxes, captions, colours)))
            for box, c, s in zip(boxes, labels, scores):
                predictions.append(
                    dict(
                        frame=key,
                        box=box.tolist(),
                        label=self.class_name(c),
                        class_index=int(c),
                        score=float(s),
                    )
                )
        summary = (
            f'ImageNet VID: {len(predictions)} box(es) >= {self.score_thr} on {len(keys)} frames'
        )
        return ViewResult(
            panels=panels, summary=summary, predictions=predictions, panel_frames=list(keys)
        )


def key_position(length: int, refs: int) -> int:
    """Where ``VideoObjectDetectionTask.view`` puts the key frame of a ``length``-frame
    window: the middle frame plus its ``refs`` nearest frames, in time order."""
    key = length // 2
    picked = [key]
    for step in range(1, length):
        for frame in (key - step, key + step):
            if 0 <= frame < length and len(picked) <= refs:
                picked.append(frame)
    picked += [key] * (refs + 1 - len(picked))
    return sorted(picked).index(key)

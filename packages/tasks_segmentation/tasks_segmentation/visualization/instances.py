"""YouTube-VIS on a raw video: Mask2Former-VIS tracks over a few frames, a colour per track
id (mmdet's ``TrackLocalVisualizer`` would need seaborn, which the stack does not install:
the masks are blended here, the captions go in a legend under the frame).

The config's test pipeline reads frames listed in a YouTube-VIS json, which a raw video
does not have; the frames go through the plugin's ``view`` (resize, normalise, pad as the
model's preprocessor does) and the data samples carry each frame's geometry, so the head
returns masks at the frame's own resolution.
"""

from __future__ import annotations

import numpy as np
import torch
from mmdet.structures import DetDataSample, TrackDataSample

from dlm_core.visualization import RawVideo, TaskViewer, ViewResult, palette, register_viewer

from ..plugins.video_instance_segmentation import VideoInstanceSegmentationTask

PANEL_SIDE = 360


def _resize_transform(pipeline):
    for transform in pipeline or []:
        if str(transform.get('type', '')).rpartition('.')[2] == 'Resize':
            return transform
        inner = _resize_transform(transform.get('transforms'))
        if inner is not None:
            return inner
    return None


def model_input_shape(cfg, height: int, width: int, fallback_side: int) -> tuple[int, int]:
    """``(h, w)`` of the frames the model sees: the test pipeline's ``Resize`` (keep
    ratio), else the frame scaled so its longer side is at most ``fallback_side``."""
    pipeline = []
    for loader in ('test_dataloader', 'val_dataloader'):
        pipeline = ((cfg.get(loader) or {}).get('dataset') or {}).get('pipeline') or []
        if pipeline:
            break
    resize = _resize_transform(pipeline)
    if resize is not None and resize.get('scale') is not None:
        scale = resize['scale']
        if not resize.get('keep_ratio', False):
            return int(scale[1]), int(scale[0])
        factor = min(max(scale) / max(height, width), min(scale) / min(height, width))
    else:
        factor = min(1.0, fallback_side / max(height, width))
    return int(height * factor + 0.5), int(width * factor + 0.5)


@register_viewer(VideoInstanceSegmentationTask)
class VideoInstanceViewer(TaskViewer):
    """Tracks (score >= ``score_thr``) over ``num_panels`` frames spread over the video,
    segmented together as one clip."""

    #: longer side of the model's frames when the config's test pipeline does not resize
    input_side = 384
    #: tracks drawn at most (the best-scoring ones)
    max_tracks = 10

    def run(self, video: RawVideo, gt: str | None = None) -> ViewResult:
        indices = self.panel_frames(video)
        frames = video.read(indices)
        ori_h, ori_w = frames.shape[1:3]
        height, width = model_input_shape(self.cfg, ori_h, ori_w, self.input_side)
        self.plugin.view_size, self.plugin.view_frames = (height, width), None
        clip = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2)[None] / 255.0
        inputs = self.plugin.view(dict(frames=clip.float(), fps=video.fps))
        sample = TrackDataSample()
        sample.video_data_samples = [
            DetDataSample(
                metainfo=dict(
                    img_shape=(height, width),
                    ori_shape=(ori_h, ori_w),
                    scale_factor=(width / ori_w, height / ori_h),
                    batch_input_shape=tuple(inputs.shape[-2:]),
                    pad_shape=tuple(inputs.shape[-2:]),
                    frame_id=i,
                    img_id=i,
                )
            )
            for i in range(len(indices))
        ]
        result = self.model(inputs, [sample], mode='predict')[0]
        panels, predictions = [], []
        for index, (frame, frame_sample) in enumerate(zip(frames, result.video_data_samples)):
            tracks = frame_sample.pred_track_instances
            keep = tracks.scores >= self.score_thr
            best = tracks.scores.argsort(descending=True)[: self.max_tracks]
            keep &= torch.zeros_like(keep).index_fill_(0, best, True)
            kept = tracks[keep]
            masks = kept.masks.cpu().numpy().astype(bool)
            ids = [int(i) for i in kept.instances_id]
            names = [
                f'#{i} {self.class_name(c)} {float(s):.2f}'
                for i, c, s in zip(ids, kept.labels, kept.scores)
            ]
            painted = paint_masks(frame, masks, [palette(i) for i in ids])
            legend = legend_rows(painted.shape[1], names, [palette(i) for i in ids])
            panels.append(_shrink(np.concatenate([painted, legend]) if names else painted))
            for track in range(len(names)):
                predictions.append(
                    dict(
                        frame=indices[index],
                        track=ids[track],
                        label=self.class_name(kept.labels[track]),
                        score=float(kept.scores[track]),
                        mask=masks[track],
                    )
                )
        tracks = sorted({p['track'] for p in predictions})
        summary = (
            f'YouTube-VIS: {len(tracks)} track(s) >= {self.score_thr} over {len(indices)} frames'
        )
        return ViewResult(
            panels=panels, summary=summary, predictions=predictions, panel_frames=indices
        )


def paint_masks(frame: np.ndarray, masks: np.ndarray, colours, alpha: float = 0.55):
    """Each mask blended into ``frame`` in its track's colour, with a solid outline."""
    import cv2

    out = frame.astype(np.float32)
    for mask, colour in zip(masks, colours):
        out[mask] = (1 - alpha) * out[mask] + alpha * np.asarray(colour, np.float32)
    out = out.astype(np.uint8)
    for mask, colour in zip(masks, colours):
        contours, _ = cv2.findContours(
            mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE
        )
        cv2.drawContours(out, contours, -1, tuple(int(c) for c in colour), 1)
    return out


def legend_rows(width: int, names, colours, row: int = 14) -> np.ndarray:
    """A white strip with one ``#track class score`` line per track in its colour (kept
    off the frame, so that the masks alone mark the frame)."""
    from mmengine.visualization import Visualizer

    strip = np.full((row * len(names) + 4, width, 3), 255, np.uint8)
    vis = Visualizer(name=f'dlm_legend_{id(strip)}', image=strip)
    for index, (name, colour) in enumerate(zip(names, colours)):
        top = 2 + index * row
        vis.draw_bboxes(
            np.array([3, top + 2, 13, top + 11]),
            edge_colors=[colour],
            face_colors=[colour],
            alpha=1.0,
        )
        vis.draw_texts(name, np.array([17, top]), font_sizes=9, colors='black')
    return vis.get_image()


def _shrink(image: np.ndarray) -> np.ndarray:
    import cv2

    height, width = image.shape[:2]
    if max(height, width) <= PANEL_SIDE:
        return image
    factor = PANEL_SIDE / max(height, width)
    return cv2.resize(image, (round(width * factor), round(height * factor)), cv2.INTER_AREA)

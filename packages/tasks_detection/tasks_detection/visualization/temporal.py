"""THUMOS14 on a raw video: the config's extractor makes its snippet features, the config's
own test dataset and pipeline read them (a one-video annotation file in a temporary
folder), and the predicted segments are drawn on a timeline under a few frames."""

from __future__ import annotations

import json
import os
import os.path as osp
import tempfile

import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmengine.registry import DATASETS, DefaultScope

from dlm_core.errors import DataError
from dlm_core.visualization import (
    RawVideo,
    TaskViewer,
    ViewResult,
    draw_text_box,
    register_viewer,
    timeline_strip,
)

from ..plugins.temporal import TemporalDetectionTask


def test_dataset_config(cfg) -> dict:
    for loader in ('test_dataloader', 'val_dataloader'):
        dataset = (cfg.get(loader) or {}).get('dataset')
        if dataset:
            return dict(dataset)
    return {}


def link_video(path: str, folder: str, name: str, ext: str) -> None:
    os.makedirs(folder, exist_ok=True)
    os.symlink(osp.abspath(path), osp.join(folder, name + ext))


@register_viewer(TemporalDetectionTask)
class TemporalDetectionViewer(TaskViewer):
    """Predicted action segments (score >= ``score_thr``, at most 12) against ``--gt``'s
    (a THUMOS14 json naming the video)."""

    max_segments = 12

    def run(self, video: RawVideo, gt: str | None = None) -> ViewResult:
        features = video.features()  # (C, T') of the config's extractor
        duration = video.num_frames / video.fps
        truth = read_thumos_truth(gt, video.name, self.classes) if gt else None
        with tempfile.TemporaryDirectory() as folder:
            item = self._item(video, features, duration, folder)
            data = self.model.data_preprocessor(pseudo_collate([item]), False)
            with torch.no_grad():
                pred = self.model(data['inputs'], data['data_samples'], mode='predict')[0]
        instances = pred.pred_instances
        order = instances.scores.argsort(descending=True)
        segments = []
        for index in order[: self.max_segments]:
            score = float(instances.scores[index])
            if score < self.score_thr:
                break
            start, end = (float(v) for v in instances.segments[index])
            segments.append((start, end, int(instances.labels[index]), score))
        # the best segment is painted last, on top of the ones it overlaps
        rows = [('predicted', [s[:3] for s in reversed(segments)])]
        if truth is not None:
            rows.append(('truth', truth))
        times = [i / video.fps for i in self.panel_frames(video)]
        frames = video.read(self.panel_frames(video), max_side=240)
        panels = []
        for time, frame in zip(times, frames):
            active = [s for s in segments if s[0] <= time <= s[1]]
            text = f'{self.class_name(active[0][2])} {active[0][3]:.2f}' if active else 'no action'
            panels.append(draw_text_box(frame, [f'{time:.1f}s', text]))
        # as wide as the panels in one row (4 px gaps), at least 640 px
        width = max(640, sum(p.shape[1] + 4 for p in panels) + 4)
        strip = timeline_strip(rows, duration, self.classes, width=width)
        best = ', '.join(
            f'{self.class_name(c)} {a:.1f}-{b:.1f}s ({s:.2f})' for a, b, c, s in segments[:3]
        )
        summary = f'THUMOS14: {len(segments)} segment(s) >= {self.score_thr}: {best}'
        return ViewResult(
            panels=panels,
            strip=strip,
            summary=summary,
            predictions=segments,
            panel_frames=self.panel_frames(video),
        )

    def _item(self, video: RawVideo, features: np.ndarray, duration: float, folder: str):
        """The video as the config's test dataset reads it: ``<vid>.npy`` ``(T', C)`` and
        a THUMOS14 json entry without annotations, in a temporary folder."""
        dataset_cfg = test_dataset_config(self.cfg)
        subset = dataset_cfg.get('subset', 'Test')
        feat_dir = osp.join(folder, 'features')
        os.makedirs(feat_dir)
        np.save(osp.join(feat_dir, f'{video.name}.npy'), features.T.astype(np.float32))
        ann_file = osp.join(folder, 'thumos14.json')
        entry = dict(subset=subset, duration=round(duration, 3), fps=video.fps, annotations=[])
        with open(ann_file, 'w') as handle:
            json.dump(dict(database={video.name: entry}), handle)
        prefix = dict(feat=feat_dir)
        if 'video' in (dataset_cfg.get('data_prefix') or {}):  # a DLM run's frames too
            prefix['video'] = osp.join(folder, 'videos')
            link_video(
                video.path, prefix['video'], video.name, dataset_cfg.get('video_ext', '.mp4')
            )
        dataset_cfg.update(ann_file=ann_file, data_prefix=prefix, test_mode=True)
        dataset_cfg.pop('data_root', None)
        with DefaultScope.overwrite_default_scope(self.cfg.get('default_scope')):
            dataset = DATASETS.build(dataset_cfg)
            return dataset[0]


def read_thumos_truth(path: str, video_id: str, classes) -> list[tuple[float, float, int]]:
    """``[(start_s, end_s, class)]`` of ``video_id`` in a THUMOS14 json."""
    with open(path) as handle:
        try:
            database = json.load(handle).get('database', {})
        except json.JSONDecodeError as err:
            raise DataError(f'--gt {path}: not a THUMOS14 json ({err})') from None
    if video_id not in database:
        raise DataError(f'--gt {path}: database has no video {video_id!r} (the video file name)')
    segments = []
    for number, ann in enumerate(database[video_id].get('annotations', [])):
        if ann.get('label') not in classes:
            raise DataError(
                f'--gt {path}: database["{video_id}"].annotations[{number}].label '
                f"{ann.get('label')!r} is not one of the model's classes {list(classes)}"
            )
        start, end = ann['segment']
        segments.append((float(start), float(end), list(classes).index(ann['label'])))
    return segments

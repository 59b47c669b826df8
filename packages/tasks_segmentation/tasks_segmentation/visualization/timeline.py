"""Action segmentation on a raw video: per-frame features from the config's extractor,
read by the config's own test pipeline, and the predicted labels drawn as a timeline
against the ground truth of ``--gt`` (a 50Salads ``groundTruth/<video>.txt``)."""

from __future__ import annotations

import os.path as osp
import tempfile

import numpy as np
import torch
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import DefaultScope

from dlm_core.errors import DataError
from dlm_core.visualization import (
    RawVideo,
    TaskViewer,
    ViewResult,
    draw_text_box,
    register_viewer,
    segments_from_labels,
    timeline_strip,
)

from ..datasets.action_segmentation import read_labels
from ..plugins.action_segmentation import ActionSegmentationTask


def _test_dataset(cfg) -> dict:
    for loader in ('test_dataloader', 'val_dataloader'):
        dataset = (cfg.get(loader) or {}).get('dataset')
        if dataset:
            return dict(dataset)
    return {}


@register_viewer(ActionSegmentationTask)
class ActionSegmentationViewer(TaskViewer):
    """Predicted per-frame classes as segments, under ``num_panels`` captioned frames."""

    def run(self, video: RawVideo, gt: str | None = None) -> ViewResult:
        features = video.features()  # (C, T): one column per frame
        length = features.shape[1]
        dataset = _test_dataset(self.cfg)
        truth = None
        if gt is not None:
            truth = read_labels(gt, {c: i for i, c in enumerate(self.classes)}, 'the classes')
            if len(truth) != length:
                raise DataError(
                    f'--gt {gt} labels {len(truth)} frames but {video.path} has {length} '
                    'frames; they must agree'
                )
        with tempfile.TemporaryDirectory() as folder:
            path = osp.join(folder, f'{video.name}.npy')
            np.save(path, features.astype(np.float32))
            info = dict(
                video=video.name,
                feature_path=path,
                num_frames=length,
                feature_shape=features.shape,
                sample_rate=int(dataset.get('sample_rate', 1)),
                fps=float(dataset.get('fps', video.fps)),
                filename=video.path,  # for a DLM run's frames pipeline
                start_index=0,
            )
            if truth is not None:
                info['gt_labels'] = truth
            with DefaultScope.overwrite_default_scope(self.cfg.get('default_scope')):
                item = Compose(list(dataset.get('pipeline') or []))(info)
            data = self.model.data_preprocessor(pseudo_collate([item]), False)
            with torch.no_grad():
                pred = self.model(data['inputs'], data['data_samples'], mode='predict')[0]
        labels = pred.pred_labels.numpy()
        rows = [('predicted', segments_from_labels(labels, video.fps))]
        if truth is not None:
            rows.append(('truth', segments_from_labels(truth, video.fps)))
        indices = self.panel_frames(video)
        frames = video.read(indices, max_side=240)
        panels = []
        for index, frame in zip(indices, frames):
            name = self.class_name(labels[min(index, length - 1)])
            panels.append(draw_text_box(frame, [f'{index / video.fps:.1f}s', name]))
        # as wide as the panels in one row (4 px gaps), at least 640 px
        width = max(640, sum(p.shape[1] + 4 for p in panels) + 4)
        strip = timeline_strip(rows, length / video.fps, self.classes, width=width)
        segments = rows[0][1]
        summary = f'action segmentation: {len(segments)} segment(s) over {length} frames'
        return ViewResult(
            panels=panels,
            strip=strip,
            summary=summary,
            predictions=segments,
            panel_frames=indices,
        )

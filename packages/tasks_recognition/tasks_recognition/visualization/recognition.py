"""The top-5 classes of a recognizer on a raw video, drawn by mmaction2's ActionVisualizer.

The video goes through the config's own test pipeline (decoding, frame sampling, resize,
crop, packing), so the model sees it exactly as ``tools/test.py`` would show it a video of
its dataset; the panels are frames the pipeline sampled, the first one captioned with the
five best classes and their scores (and the true class when given).
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
from mmaction.structures import ActionDataSample
from mmaction.visualization import ActionVisualizer
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import DefaultScope
from mmengine.structures import LabelData

from dlm_core.errors import ConfigError
from dlm_core.visualization import RawVideo, TaskViewer, ViewResult, register_viewer

from ..plugins.action_recognition import ActionRecognitionTask

#: panels are at most this long, and at least this short side (ActionVisualizer's font
#: scales with the short side: 224 px gives its 7 pt)
PANEL_SIDE, MIN_SHORT_SIDE = 400, 224


def test_pipeline(cfg) -> list:
    for loader in ('test_dataloader', 'val_dataloader'):
        pipeline = ((cfg.get(loader) or {}).get('dataset') or {}).get('pipeline')
        if pipeline:
            return list(pipeline)
    raise ConfigError('the config has no test_dataloader.dataset.pipeline to read a video with')


@register_viewer(ActionRecognitionTask)
class RecognitionViewer(TaskViewer):
    """Video-level top-5 of an action recognizer."""

    top_k = 5

    def run(self, video: RawVideo, gt: str | None = None) -> ViewResult:
        with DefaultScope.overwrite_default_scope(self.cfg.get('default_scope')):
            pipeline = Compose(test_pipeline(self.cfg))
        results = dict(filename=video.path, label=-1, start_index=0, modality='RGB')
        sampled = None
        for transform in pipeline.transforms:
            results = transform(results)
            if sampled is None and isinstance(results, dict) and 'frame_inds' in results:
                sampled = sorted({int(i) for i in results['frame_inds']})
        data = self.model.data_preprocessor(pseudo_collate([results]), False)
        with torch.no_grad():
            sample = self.model(data['inputs'], data['data_samples'], mode='predict')[0]
        scores = sample.pred_score.float()
        top = scores.topk(min(self.top_k, scores.numel()))
        # mmaction2 1.2's ActionVisualizer reads the 0.x fields: pred_labels.item (the
        # classes shown) with pred_labels.score (every class's score), gt_labels
        shown = ActionDataSample()
        shown.pred_labels = LabelData(item=top.indices, score=scores)
        truth = self._truth(gt)
        if truth is not None:
            shown.set_gt_label(truth)
            shown.gt_labels = LabelData(item=torch.tensor([truth]))
        sampled = sampled or [video.num_frames // 2]
        step = max(1, len(sampled) // self.num_panels)
        indices = sampled[::step][: self.num_panels]
        frames = video.read(indices, max_side=PANEL_SIDE)
        if min(frames.shape[1:3]) < MIN_SHORT_SIDE:  # legible captions on small videos
            factor = MIN_SHORT_SIDE / min(frames.shape[1:3])
            size = (round(frames.shape[2] * factor), round(frames.shape[1] * factor))
            frames = np.stack([cv2.resize(f, size, interpolation=cv2.INTER_LINEAR) for f in frames])
        visualizer = ActionVisualizer(name=f'dlm_recognition_{id(self)}')
        names = [self.class_name(i) for i in range(scores.numel())]
        visualizer.dataset_meta = dict(classes=names)
        panels = visualizer.add_datasample('prediction', list(frames), shown, show_frames=False)
        best = [f'{self.class_name(i)} {s:.2f}' for s, i in zip(top.values, top.indices)]
        return ViewResult(
            panels=list(panels),
            summary='top-5: ' + ', '.join(best),
            panel_frames=list(indices),
            predictions=[(self.class_name(i), float(s)) for s, i in zip(top.values, top.indices)],
        )

    def _truth(self, gt: str | None):
        if gt is None:
            return None
        if gt in self.classes:
            return self.classes.index(gt)
        if gt.isdigit() and int(gt) < len(self.classes):
            return int(gt)
        raise ConfigError(
            f'--gt {gt!r}: for a recognizer, give the true class (a name of {self.classes[:5]}'
            f'... or an index below {len(self.classes)})'
        )

"""mmdet's ``CocoVideoMetric`` (COCO box AP of video frames), also on bootstrap resamples of
the test videos (``replicates_file``, for the benchmark's intervals)."""

from __future__ import annotations

import contextlib
import io
import tempfile

import numpy as np
from mmdet.evaluation.metrics import CocoVideoMetric
from mmengine.fileio import load

from dlm_core.errors import ConfigError, DataError
from dlm_core.evaluation import sorted_videos, write_video_replicates

from ..registry import METRICS


@METRICS.register_module()
class CocoVideoMetricWithResamples(CocoVideoMetric):
    """``CocoVideoMetric``; with ``replicates_file`` it also evaluates ``bbox_mAP_50`` (as
    the metric reports it: in [0, 1], rounded to 3 decimals) on bootstrap resamples of the
    videos of ``ann_file``. A video drawn k times enters k times: its images, their
    annotations and their detections (mmdet's ``results2json``) copied under new integer
    ids (pycocotools indexes by integer ids), the ground truth built in memory.

    Each resample runs pycocotools' ``COCOeval`` with mmdet's parameters (classes, images,
    the largest ``proposal_nums`` as the detection limit) restricted to what AP50 reads:
    IoU 0.5 and the area range "all" (pycocotools evaluates each threshold and range on its
    own, so AP50 is the same, several times faster); AP50 is then the mean of its precision
    table over recall and classes, as ``COCOeval.summarize`` takes it. ``value`` (every
    video once) must equal the reported AP50: dlm_bench checks it.

    Args:
        replicates_file: where to write the resamples' values, as
            ``dlm_core.evaluation.write_video_replicates`` does; None: not. Needs
            ``ann_file`` (a CocoVID json: its images name their ``video_id``).
        replicates: the number of resamples.
        **kwargs: ``CocoVideoMetric``'s.
    """

    def __init__(self, *args, replicates_file: str | None = None, replicates: int = 200, **kwargs):
        super().__init__(*args, **kwargs)
        self.replicates_file = replicates_file
        self.replicates = replicates
        if replicates_file and (self._coco_api is None or 'bbox' not in self.metrics):
            raise ConfigError(
                f'{type(self).__name__}: replicates_file needs ann_file (the videos of its '
                f"images) and metric 'bbox' (got ann_file {kwargs.get('ann_file')!r}, "
                f'metric {self.metrics})'
            )

    def compute_metrics(self, results: list) -> dict:
        metrics = super().compute_metrics(results)
        if self.replicates_file and not self.format_only:
            video_of = self._videos_of(self._coco_api, list(self.img_ids))
            with tempfile.TemporaryDirectory() as folder:
                files = self.results2json([pred for _, pred in results], f'{folder}/results')
                detections = load(files['bbox'])
            write_video_replicates(
                self.replicates_file,
                video_of.values(),
                lambda counts: self._resample_ap50(detections, video_of, counts),
                self.replicates,
                what=f'{type(self).__name__} bbox_mAP_50',
            )
        return metrics

    def _videos_of(self, truth, image_ids: list) -> dict:
        """``{image id: video id}`` of the evaluated images."""
        missing = [i for i in image_ids if 'video_id' not in truth.imgs[i]]
        if missing:
            raise DataError(
                f'{type(self).__name__}: images {missing[:5]} of the ground truth name no '
                'video_id: the video resamples need a CocoVID ann_file'
            )
        return {i: truth.imgs[i]['video_id'] for i in image_ids}

    def _resample_ap50(self, detections: list, video_of: dict, counts) -> float:
        """AP50 of the resample ``counts`` (aligned with the sorted video ids)."""
        from mmdet.datasets.api_wrappers import COCO, COCOeval

        truth = self._coco_api
        drawn = dict(zip(sorted_videos(video_of.values()), map(int, counts)))
        image_step = 1 + max(truth.imgs)
        annotation_step = 1 + max(truth.anns, default=0)
        by_image: dict = {}
        for detection in detections:
            by_image.setdefault(detection['image_id'], []).append(detection)
        images, annotations, found, image_ids = [], [], [], []
        for copy in range(max(drawn.values(), default=0)):
            for image_id, video in video_of.items():
                if drawn[str(video)] <= copy:
                    continue
                new_id = image_id + copy * image_step
                image_ids.append(new_id)
                images.append(dict(truth.imgs[image_id], id=new_id))
                annotations += [
                    dict(a, id=a['id'] + copy * annotation_step, image_id=new_id)
                    for a in truth.imgToAnns[image_id]
                ]
                found += [dict(d, image_id=new_id) for d in by_image.get(image_id, ())]
        with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints as it goes
            resampled = COCO()
            resampled.dataset = dict(truth.dataset, images=images, annotations=annotations)
            resampled.createIndex()
            if not found:
                return 0.0  # loadRes fails on no detections; none found is an AP of 0
            evaluation = COCOeval(resampled, resampled.loadRes(found), 'bbox')
            params = evaluation.params
            params.catIds, params.imgIds = self.cat_ids, image_ids
            params.maxDets, params.iouThrs = [self.proposal_nums[-1]], np.array([0.5])
            params.areaRng, params.areaRngLbl = params.areaRng[:1], params.areaRngLbl[:1]
            evaluation.evaluate()
            evaluation.accumulate()
        precision = evaluation.eval['precision'][0, :, :, 0, 0]  # (recall, class)
        valid = precision[precision > -1]
        return float(f'{round(float(np.mean(valid)) if valid.size else -1.0, 3)}')

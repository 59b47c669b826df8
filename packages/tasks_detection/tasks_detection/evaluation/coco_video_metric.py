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
from dlm_core.evaluation import (
    accumulate_copies,
    copy_order,
    sorted_videos,
    write_video_replicates,
)

from ..registry import METRICS


@METRICS.register_module()
class CocoVideoMetricWithResamples(CocoVideoMetric):
    """``CocoVideoMetric``; with ``replicates_file`` it also evaluates ``bbox_mAP_50`` (as
    the metric reports it: in [0, 1], rounded to 3 decimals) on bootstrap resamples of the
    videos of ``ann_file``. A video drawn k times enters k times: its images, their
    annotations and their detections (mmdet's ``results2json``) count as k copies under
    new integer ids.

    pycocotools' ``COCOeval`` matches the detections once, with mmdet's parameters
    restricted to what AP50 reads (pycocotools evaluates each threshold and range on its
    own, so AP50 is the same, several times faster); each resample only re-accumulates the
    per-image matches, its copies included (:meth:`_resample_ap50`), which gives the AP50
    of the copied videos exactly. ``value`` (every video once) must equal the reported
    AP50: dlm_bench checks it.

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
            matched = self._match_once(detections, sorted(video_of))
            write_video_replicates(
                self.replicates_file,
                video_of.values(),
                lambda counts: self._resample_ap50(matched, video_of, counts),
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

    def _match_once(self, detections: list, image_ids: list):
        """pycocotools' ``COCOeval`` after ``evaluate()`` on every image once, with mmdet's
        parameters (classes, images, the largest ``proposal_nums`` as the detection limit)
        restricted to what AP50 reads (IoU 0.5, area range "all"); None when nothing was
        detected (``loadRes`` fails on no detections)."""
        from mmdet.datasets.api_wrappers import COCOeval

        if not detections:
            return None
        with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints as it goes
            evaluation = COCOeval(self._coco_api, self._coco_api.loadRes(detections), 'bbox')
            params = evaluation.params
            params.catIds, params.imgIds = self.cat_ids, image_ids
            params.maxDets, params.iouThrs = [self.proposal_nums[-1]], np.array([0.5])
            params.areaRng, params.areaRngLbl = params.areaRng[:1], params.areaRngLbl[:1]
            evaluation.evaluate()
        evaluation.images_detected = {d['image_id'] for d in detections}
        return evaluation

    def _resample_ap50(self, matched, video_of: dict, counts) -> float:
        """AP50 of the resample ``counts`` (aligned with the sorted video ids): the
        once-matched images with their copies accumulated
        (``dlm_core.evaluation.accumulate_copies``), then the mean of the precision table
        over recall and classes, as ``COCOeval.summarize`` takes it."""
        drawn = dict(zip(sorted_videos(video_of.values()), map(int, counts)))
        images = sorted(video_of)  # as COCOeval sorts them
        order = copy_order([drawn[str(video_of[image])] for image in images])
        detected = matched.images_detected if matched is not None else ()
        if not any(images[position] in detected for _, position in order):
            return 0.0  # none found is an AP of 0
        precision = accumulate_copies(matched, 'imgIds', order)['precision'][0, :, :, 0, 0]
        valid = precision[precision > -1]  # (recall, class)
        return float(f'{round(float(np.mean(valid)) if valid.size else -1.0, 3)}')

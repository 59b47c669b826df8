"""mmdet's ``YouTubeVISMetric`` (video AP), able to evaluate more than once in a run, and
on bootstrap resamples of the test videos (``replicates_file``, for the benchmark's
intervals)."""

from __future__ import annotations

import contextlib
import io
from collections import defaultdict

import numpy as np
from mmdet.evaluation.functional import YTVIS, YTVISeval
from mmdet.evaluation.metrics import YouTubeVISMetric

from dlm_core.errors import ConfigError
from dlm_core.evaluation import (
    accumulate_copies,
    copy_order,
    sorted_videos,
    write_video_replicates,
)

from ..registry import METRICS


@METRICS.register_module()
class RepeatableYouTubeVISMetric(YouTubeVISMetric):
    """``YouTubeVISMetric`` for validation during training.

    mmdet 3.3's ``evaluate`` ends by replacing its ``defaultdict`` record of the videos and
    frames seen with a plain dict and clearing it, so the next validation round fails in
    ``process`` with ``KeyError: 'images'``: the metric works once per process only. This
    one starts each round with a fresh record; everything it computes is mmdet's.

    mmdet names a predicted label ``k`` category ``k + 1`` of ``dataset_meta['classes']``
    and the evaluator ignores categories it does not know: a head with more classes than
    the dataset would lose predictions without a word. Here such a label is an error.

    Args:
        replicates_file: where to write ``segm_mAP`` (as the metric reports it: in [0, 1],
            rounded to 3 decimals) on ``replicates`` bootstrap resamples of the test videos,
            as ``dlm_core.evaluation.write_video_replicates`` does; None: not. A video drawn
            k times enters k times: its ground-truth and predicted tracks count as k copies
            under new integer video ids. The tracks are matched once; each resample only
            re-accumulates the matches (:meth:`_resample_value`).
        replicates: the number of resamples (200, as the other mAP metrics; 100 of the
            demo benchmark's 360 test videos took 1.4 s).
        **kwargs: ``YouTubeVISMetric``'s.
    """

    #: the key of the benchmark's primary among ``compute_metrics``' results
    replicate_key = 'segm_mAP'

    def __init__(self, *args, replicates_file: str | None = None, replicates: int = 200, **kwargs):
        super().__init__(*args, **kwargs)
        self.replicates_file = replicates_file
        self.replicates = replicates

    def process(self, data_batch, data_samples) -> None:
        self._check_labels(data_samples)
        super().process(data_batch, data_samples)

    def _check_labels(self, data_samples) -> None:
        classes = (self.dataset_meta or {}).get('classes')
        if not classes:
            return
        for sample in data_samples:
            for frame in sample.get('video_data_samples') or ():
                pred = frame.get('pred_track_instances')
                labels = None if pred is None else pred.get('labels')
                if labels is not None and len(labels) and int(labels.max()) >= len(classes):
                    raise ConfigError(
                        f'{type(self).__name__}: the model predicts class index '
                        f'{int(labels.max())}, but the dataset has {len(classes)} classes '
                        f"{list(classes)}: the head's num_classes and metainfo.classes differ"
                    )

    def compute_metrics(self, results: list) -> dict:
        metrics = super().compute_metrics(results)
        if self.replicates_file and not self.format_only:
            videos = sorted(int(v['id']) for v in self._vis_meta_info['videos'])
            matched = self._match_once(results)
            write_video_replicates(
                self.replicates_file,
                videos,
                lambda counts: self._resample_value(matched, videos, counts),
                self.replicates,
                what=f'{type(self).__name__} {self.replicate_key}',
            )
        return metrics

    def _match_once(self, results: list):
        """mmdet's ``YTVISeval`` after ``evaluate()`` on every video once, as mmdet's
        ``compute_metrics`` builds it, restricted to what ``segm_mAP`` reads (area range
        "all", 100 tracks a video; each range and limit is evaluated on its own, so the
        value is the same); None when no track was predicted (``loadRes`` fails then)."""
        predicted, truth = zip(*results)
        predictions = self.format_preds(predicted)
        if not predictions:
            return None
        with contextlib.redirect_stdout(io.StringIO()):  # mmdet prints as it goes
            ground_truth = YTVIS(self.format_gts(truth))
            evaluation = YTVISeval(ground_truth, ground_truth.loadRes(predictions), 'segm')
            params = evaluation.params
            params.vidIds = ground_truth.getVidIds()
            params.maxDets = params.maxDets[-1:]
            params.areaRng, params.areaRngLbl = params.areaRng[:1], params.areaRngLbl[:1]
            evaluation.evaluate()
        evaluation.videos_predicted = {int(track['video_id']) for track in predictions}
        return evaluation

    def _resample_value(self, matched, videos: list, counts) -> float:
        """mmdet's ``segm_mAP`` of the resample ``counts`` (aligned with ``sorted_videos``;
        ``videos`` are the ids in numeric order, the evaluator's): the once-matched videos
        with their copies accumulated (``dlm_core.evaluation.accumulate_copies``), then the
        mean of the precision table over IoU, recall and classes, as
        ``YTVISeval.summarize`` takes it, rounded as mmdet reports it."""
        drawn = dict(zip(sorted_videos(videos), map(int, counts)))  # ids sorted as text
        order = copy_order([drawn[str(video)] for video in videos])
        if matched is None or not any(videos[p] in matched.videos_predicted for _, p in order):
            return 0.0  # no track found is an AP of 0
        precision = accumulate_copies(matched, 'vidIds', order)['precision'][..., 0, 0]
        valid = precision[precision > -1]  # (IoU, recall, class)
        return float(f'{float(np.mean(valid)) if valid.size else -1.0:.3f}')

    def evaluate(self, size: int = 1) -> dict:
        try:
            return super().evaluate(size)
        finally:
            self._vis_meta_info = defaultdict(list)

"""mmdet's ``YouTubeVISMetric`` (video AP), able to evaluate more than once in a run, and
on bootstrap resamples of the test videos (``replicates_file``, for the benchmark's
intervals)."""

from __future__ import annotations

import contextlib
import io
from collections import defaultdict

from mmdet.evaluation.metrics import YouTubeVISMetric

from dlm_core.errors import ConfigError
from dlm_core.evaluation import sorted_videos, write_video_replicates

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
            k times enters k times: its ground-truth and predicted tracks copied under new
            integer video and instance ids (mmdet's evaluator indexes by integer ids).
        replicates: the number of resamples. 100, not 200: mmdet's evaluator takes about
            1 s per resample of the 360 videos of the demo benchmark's test split.
        **kwargs: ``YouTubeVISMetric``'s.
    """

    #: the key of the benchmark's primary among ``compute_metrics``' results
    replicate_key = 'segm_mAP'

    def __init__(self, *args, replicates_file: str | None = None, replicates: int = 100, **kwargs):
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
            videos = list(self._vis_meta_info['videos'])
            try:
                write_video_replicates(
                    self.replicates_file,
                    (v['id'] for v in videos),
                    lambda counts: self._resample_value(results, videos, counts),
                    self.replicates,
                    what=f'{type(self).__name__} {self.replicate_key}',
                )
            finally:
                self._vis_meta_info['videos'] = videos
        return metrics

    def _resample_value(self, results: list, videos: list, counts) -> float:
        """mmdet's ``segm_mAP`` on the resample ``counts`` (aligned with the sorted ids)."""
        drawn = dict(zip(sorted_videos(v['id'] for v in videos), map(int, counts)))
        video_step = 1 + max(int(v['id']) for v in videos)
        instance_step = 1 + max(
            (int(track['id']) for _, truth in results for track in truth), default=0
        )
        copies = max(drawn.values(), default=0)
        picked, infos = [], []
        for copy in range(copies):
            for video in videos:
                if drawn[str(video['id'])] > copy:
                    infos.append(dict(video, id=video['id'] + copy * video_step))
            for predicted, truth in results:
                video_id = (truth or predicted or [dict(video_id=None)])[0]['video_id']
                if video_id is None or drawn[str(video_id)] <= copy:
                    continue
                new_id = video_id + copy * video_step
                picked.append(
                    (
                        [dict(track, video_id=new_id) for track in predicted],
                        [
                            dict(track, video_id=new_id, id=track['id'] + copy * instance_step)
                            for track in truth
                        ],
                    )
                )
        self._vis_meta_info['videos'] = infos
        if not any(predicted for predicted, _ in picked):
            return 0.0  # mmdet's loadRes fails on no tracks; none found is an AP of 0
        with contextlib.redirect_stdout(io.StringIO()):  # mmdet prints each summary
            return super().compute_metrics(picked)[self.replicate_key]

    def evaluate(self, size: int = 1) -> dict:
        try:
            return super().evaluate(size)
        finally:
            self._vis_meta_info = defaultdict(list)

"""YouTube-VIS video AP on bootstrap resamples of the test videos: the replicates file of
``RepeatableYouTubeVISMetric``, checked by hand and against the metric on copied videos."""

import json

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData
from pycocotools import mask as mask_utils

from dlm_core.evaluation import video_resamples
from tasks_segmentation.evaluation.youtube_vis_metric import RepeatableYouTubeVISMetric

SIZE = 16
FRAMES = 2


def square(x: int, y: int, side: int = 6) -> np.ndarray:
    mask = np.zeros((SIZE, SIZE), dtype=bool)
    mask[y : y + side, x : x + side] = True
    return mask


def video(video_id: int, truth: dict, tracks: list, label: int = 0) -> dict:
    """A track data sample of ``FRAMES`` frames: ground truth ``{instance id: mask}`` and
    predicted ``[(track id, mask, score)]``, the same masks in every frame, all of class
    ``label``."""
    frames = []
    for frame_id in range(FRAMES):
        frame = DetDataSample(
            metainfo=dict(
                video_id=video_id,
                img_id=video_id * 10 + frame_id,
                frame_id=frame_id,
                ori_shape=(SIZE, SIZE),
                ori_video_length=FRAMES,
                instances=[
                    dict(
                        bbox_label=label,
                        bbox=[0, 0, SIZE, SIZE],
                        instance_id=instance,
                        mask=mask_utils.encode(np.asfortranarray(mask.astype(np.uint8))),
                    )
                    for instance, mask in truth.items()
                ],
            )
        )
        frame.pred_track_instances = InstanceData(
            bboxes=torch.zeros(len(tracks), 4),
            scores=torch.tensor([s for _, _, s in tracks], dtype=torch.float32),
            labels=torch.full((len(tracks),), label, dtype=torch.long),
            instances_id=torch.tensor([t for t, _, _ in tracks]),
            masks=torch.from_numpy(np.stack([m for _, m, _ in tracks])),
        )
        frames.append(frame)
    return dict(video_data_samples=frames)


def evaluate(videos: list, classes: int = 1, **kwargs) -> dict:
    metric = RepeatableYouTubeVISMetric(**kwargs)
    metric.dataset_meta = dict(classes=tuple(f'digit{c}' for c in range(classes)))
    metric.process({}, videos)
    return metric.evaluate(len(videos))


def test_replicates_file_holds_the_video_ap_of_each_resample(tmp_path):
    # video 1: its track found at 0.9; video 2: a false track at 0.95, its track at 0.5
    # (masks exact: IoU 1 or 0 at every threshold). Both once: FP, TP, TP -> AP 2/3;
    # video 1 twice: 1; video 2 twice: FP, FP, TP, TP -> precision 1/2 at full recall: 1/2
    videos = [
        video(1, {11: square(0, 0)}, [(0, square(0, 0), 0.9)]),
        video(2, {21: square(0, 0)}, [(0, square(9, 9), 0.95), (1, square(0, 0), 0.5)]),
    ]
    out = tmp_path / 'replicates.json'
    normal = evaluate(videos, replicates_file=str(out), replicates=20)
    table = json.loads(out.read_text())
    assert table['videos'] == ['1', '2'] and table['replicates'] == 20
    assert table['value'] == normal['youtube_vis/segm_mAP'] == pytest.approx(0.667)
    by_draw = {(0, 0): 1.0, (1, 1): 0.5, (0, 1): 0.667, (1, 0): 0.667}
    draws = [tuple(d) for d in video_resamples(['2', '1'], 20)]
    assert {(0, 0), (1, 1)} <= set(draws)
    assert table['values'] == pytest.approx([by_draw[d] for d in draws])


def test_a_resample_drawing_a_video_twice_is_the_metric_on_its_copies(tmp_path):
    rng = np.random.default_rng(3)

    def random_video(video_id):
        corners = rng.integers(0, 10, size=(2, 2))
        truth = {video_id * 10 + k: square(*corners[k]) for k in range(2)}
        tracks = [  # each track found (sizes 5 to 7 of 6: IoU 0.69 to 1) and one false one
            (k, square(*corners[k], side=int(rng.integers(5, 8))), rng.random()) for k in range(2)
        ] + [(2, square(*rng.integers(0, 10, 2)), rng.random())]
        return truth, tracks

    cases = {v: random_video(v) for v in (1, 2, 3)}
    out = tmp_path / 'replicates.json'
    evaluate([video(v, *case) for v, case in cases.items()], replicates_file=str(out))
    table = json.loads(out.read_text())
    draws = video_resamples(['1', '2', '3'], 200)
    twice = next(r for r, d in enumerate(draws) if sorted(d) == [0, 0, 2])  # 1, 1, 3
    truth, tracks = cases[1]
    copied = [video(1, *cases[1]), video(3, *cases[3])]
    copied.append(video(4, {k + 100: m for k, m in truth.items()}, tracks))  # video 1 again
    by_hand = evaluate(copied)['youtube_vis/segm_mAP']
    assert table['values'][twice] == pytest.approx(by_hand)


def test_every_resample_equals_the_metric_on_its_copied_videos(tmp_path):
    # 12 videos (their ids sort differently as text and as numbers), two classes, score
    # ties, a video without tracks: each replicate must be the metric on the videos copied
    # as often as they are drawn (copy c of video v is video v + 100 c)
    rng = np.random.default_rng(5)

    def random_video(video_id):
        corners = rng.integers(0, 10, size=(2, 2))
        truth = {video_id * 10 + k: square(*corners[k]) for k in range(2)}
        tracks = [
            (k, square(*corners[k], side=int(rng.integers(4, 8))), round(float(rng.random()), 1))
            for k in range(2)
            if video_id != 7
        ] + [(2, square(*rng.integers(0, 10, 2)), 0.5)] * (video_id % 3 != 0)
        return truth, tracks, video_id % 2

    cases = {v: random_video(v) for v in range(1, 13)}
    out = tmp_path / 'replicates.json'
    evaluate([video(v, *c) for v, c in cases.items()], 2, replicates_file=str(out), replicates=6)
    table = json.loads(out.read_text())
    names = sorted(str(v) for v in cases)
    assert table['videos'] == names
    for r, draw in enumerate(video_resamples(names, 6)):
        counts = dict(zip(names, np.bincount(draw, minlength=len(names))))
        copied = [
            video(v + 100 * copy, {k + 1000 * copy: m for k, m in truth.items()}, tracks, label)
            for copy in range(max(counts.values()))
            for v, (truth, tracks, label) in cases.items()
            if counts[str(v)] > copy
        ]
        by_hand = evaluate(copied, 2)['youtube_vis/segm_mAP']
        assert table['values'][r] == pytest.approx(by_hand), (r, counts)

"""ImageNet VID AP50 on bootstrap resamples of the test videos: the replicates file of
``CocoVideoMetricWithResamples``, checked by hand and against mmdet's ``CocoVideoMetric``
on copied videos."""

import json

import numpy as np
import pytest
import torch
from mmdet.evaluation.metrics import CocoVideoMetric
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from dlm_core.errors import ConfigError
from dlm_core.evaluation import video_resamples
from tasks_detection.evaluation import CocoVideoMetricWithResamples

SIZE = 64


def write_cocovid(path, videos: dict, classes: int = 1) -> str:
    """A CocoVID json: ``{video id: {image id: [box xyxy, ...]}}``; with ``classes`` > 1
    each box is ``(x0, y0, x1, y1, category id)``."""
    images, annotations = [], []
    for video, frames in videos.items():
        for frame_id, (image, boxes) in enumerate(frames.items()):
            images.append(
                dict(id=image, video_id=video, frame_id=frame_id, width=SIZE, height=SIZE,
                     file_name=f'{video}/{frame_id}.jpg')
            )  # fmt: skip
            for x0, y0, x1, y1, *category in boxes:
                annotations.append(
                    dict(id=len(annotations) + 1, image_id=image,
                         category_id=category[0] if category else 1, iscrowd=0,
                         bbox=[x0, y0, x1 - x0, y1 - y0], area=(x1 - x0) * (y1 - y0))
                )  # fmt: skip
    videos_info = [dict(id=v, name=str(v)) for v in videos]
    categories = [dict(id=c + 1, name=f'digit{c}') for c in range(classes)]
    path.write_text(json.dumps(dict(videos=videos_info, images=images,
                                    annotations=annotations, categories=categories)))  # fmt: skip
    return str(path)


def frame(image: int, detections: list) -> dict:
    """A one-frame track sample of image ``image`` with ``[(box xyxy, score)]`` or
    ``[(box xyxy, score, label)]``."""
    sample = DetDataSample(metainfo=dict(img_id=image, ori_shape=(SIZE, SIZE), ori_video_length=1))
    sample.pred_instances = InstanceData(
        bboxes=torch.tensor([d[0] for d in detections], dtype=torch.float32).reshape(-1, 4),
        scores=torch.tensor([d[1] for d in detections], dtype=torch.float32),
        labels=torch.tensor([d[2] if len(d) > 2 else 0 for d in detections], dtype=torch.long),
    )
    return dict(video_data_samples=[sample])


def evaluate(metric_cls, ann_file, samples, classes: int = 1, **kwargs) -> dict:
    metric = metric_cls(ann_file=ann_file, metric='bbox', **kwargs)
    metric.dataset_meta = dict(classes=tuple(f'digit{c}' for c in range(classes)))
    metric.process({}, samples)
    return metric.evaluate(len(samples))


BOX, ELSEWHERE = (4, 4, 24, 24), (40, 40, 60, 60)


def test_replicates_file_holds_the_ap50_of_each_resample(tmp_path):
    # video 1: its box found at 0.9; video 2: a false box at 0.95, its box at 0.5.
    # both once: FP, TP, TP -> AP 2/3; video 1 twice: 1; video 2 twice: FP, FP, TP, TP -> 1/2
    ann = write_cocovid(tmp_path / 'val.json', {1: {1: [BOX]}, 2: {2: [BOX]}})
    samples = [frame(1, [(BOX, 0.9)]), frame(2, [(ELSEWHERE, 0.95), (BOX, 0.5)])]
    out = tmp_path / 'replicates.json'
    normal = evaluate(
        CocoVideoMetricWithResamples, ann, samples, replicates_file=str(out), replicates=20
    )
    assert normal == evaluate(CocoVideoMetric, ann, samples)  # mmdet's metric otherwise
    table = json.loads(out.read_text())
    assert table['videos'] == ['1', '2'] and table['replicates'] == 20
    assert table['value'] == normal['coco/bbox_mAP_50'] == pytest.approx(0.667)
    by_draw = {(0, 0): 1.0, (1, 1): 0.5, (0, 1): 0.667, (1, 0): 0.667}
    draws = [tuple(d) for d in video_resamples(['2', '1'], 20)]
    assert {(0, 0), (1, 1)} <= set(draws)
    assert table['values'] == pytest.approx([by_draw[d] for d in draws])


def test_a_resample_drawing_a_video_twice_is_the_metric_on_its_copies(tmp_path):
    rng = np.random.default_rng(4)

    def boxes(count):
        corners = rng.integers(0, 40, size=(count, 2)).tolist()
        return [
            (x, y, x + int(rng.integers(10, 24)), y + int(rng.integers(10, 24))) for x, y in corners
        ]

    videos = {v: {10 * v + f: boxes(2) for f in range(2)} for v in (1, 2, 3)}
    detections = {  # each box found (jittered) or not, and one false box
        image: [((x0, y0, x1 + int(rng.integers(-6, 3)), y1), float(rng.random()))
                for x0, y0, x1, y1 in truth] + [(boxes(1)[0], float(rng.random()))]
        for frames in videos.values()
        for image, truth in frames.items()
    }  # fmt: skip
    out = tmp_path / 'replicates.json'
    ann = write_cocovid(tmp_path / 'val.json', videos)
    samples = [frame(image, found) for image, found in detections.items()]
    evaluate(CocoVideoMetricWithResamples, ann, samples, replicates_file=str(out))
    table = json.loads(out.read_text())
    draws = video_resamples(['1', '2', '3'], 200)
    twice = next(r for r, d in enumerate(draws) if sorted(d) == [1, 1, 2])  # 2, 2, 3
    copied = {2: videos[2], 3: videos[3], 4: {100 + i: b for i, b in videos[2].items()}}
    copied_samples = [frame(i, detections[i]) for v in (2, 3) for i in videos[v]]
    copied_samples += [frame(100 + i, detections[i]) for i in videos[2]]
    by_hand = evaluate(CocoVideoMetric, write_cocovid(tmp_path / 'copies.json', copied),
                       copied_samples)  # fmt: skip
    assert table['values'][twice] == pytest.approx(by_hand['coco/bbox_mAP_50'])


def test_every_resample_equals_the_metric_on_its_copied_videos(tmp_path):
    # two classes (one absent from video 3), frames without detections, score ties:
    # each replicate must be mmdet's AP50 on the videos copied as often as they are drawn
    rng = np.random.default_rng(7)

    def box(label):
        x, y = (int(v) for v in rng.integers(0, 40, size=2))
        return (x, y, x + int(rng.integers(10, 24)), y + int(rng.integers(10, 24)), label)

    videos = {
        v: {10 * v + f: [box(1), box(2 if v != 3 else 1)] for f in range(3)} for v in (1, 2, 3, 4)
    }
    detections = {
        image: [((x0, y0, x1 + int(rng.integers(-8, 3)), y1), round(float(rng.random()), 1),
                 label - 1) for x0, y0, x1, y1, label in truth if rng.random() < 0.8]
        + [(box(1)[:4], 0.5, int(rng.integers(0, 2)))]
        for frames in videos.values() for image, truth in frames.items() if image % 10 != 2
    }  # fmt: skip
    out = tmp_path / 'replicates.json'
    ann = write_cocovid(tmp_path / 'val.json', videos, classes=2)
    samples = [frame(image, found) for image, found in detections.items()]
    evaluate(CocoVideoMetricWithResamples, ann, samples, 2, replicates_file=str(out), replicates=6)
    table = json.loads(out.read_text())
    for r, draw in enumerate(video_resamples(['1', '2', '3', '4'], 6)):
        counts = np.bincount(draw, minlength=4)
        copied, copied_samples = {}, []
        for copy in range(counts.max()):  # copy c of image i is image i + 100 c
            for v in (1, 2, 3, 4):
                if counts[v - 1] > copy:
                    copied[v + 10 * copy] = {i + 100 * copy: b for i, b in videos[v].items()}
                    copied_samples += [frame(i + 100 * copy, detections[i])
                                       for i in videos[v] if i in detections]  # fmt: skip
        by_hand = evaluate(CocoVideoMetric, write_cocovid(tmp_path / f'copies{r}.json', copied, 2),
                           copied_samples, 2)  # fmt: skip
        assert table['values'][r] == pytest.approx(by_hand['coco/bbox_mAP_50']), (r, counts)


def test_replicates_need_the_cocovid_ann_file():
    with pytest.raises(ConfigError, match='replicates_file needs ann_file'):
        CocoVideoMetricWithResamples(replicates_file='r.json')

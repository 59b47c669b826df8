"""mmdet's ``YouTubeVISDataset`` on the official YouTube-VIS json, checked at load time."""

from __future__ import annotations

import json
from collections import defaultdict

import mmengine.fileio as fileio
from mmdet.datasets import YouTubeVISDataset
from pycocotools import mask as mask_utils

from dlm_core.class_names import checked_metainfo_classes
from dlm_core.errors import DataError

from ..registry import DATASETS
from .youtube_vis_json import check_youtube_vis, is_cocovid_layout, video_name


@DATASETS.register_module()
class YouTubeVISJsonDataset(YouTubeVISDataset):
    """``YouTubeVISDataset`` that reads the official json (``train.json``, ``valid.json``).

    mmdet's dataset reads only the CocoVID json written by its converter script
    (``tools/dataset_converters/youtubevis2coco.py``); this one reads the official file as
    it is downloaded, checks it (a ``segmentations`` list whose length is not the video's
    ``length``, an unknown ``category_id`` ... is an error naming the file and the video,
    raised when the dataset is built, before training starts), and turns each frame into
    the record mmdet's own ``parse_data_info`` expects, so everything after loading
    (frame sampling, filtering, ``YouTubeVISMetric``) is mmdet's. A converted CocoVID file
    is read by mmdet's loader unchanged.

    Classes are the config's ``metainfo`` classes (default: YouTube-VIS
    ``dataset_version``'s 40), the classes the model's head predicts, in its order; the
    json's ``categories`` must name the same classes (matched by name, in any order and
    with any ids), so that no track is dropped and no class is scored against nothing.

    Args:
        num_classes: the head's ``num_classes``; when given, ``classes`` must count it.
    """

    def __init__(self, *args, dataset_version: str = '2019', num_classes=None, **kwargs):
        self.num_classes = num_classes
        super().__init__(dataset_version, *args, **kwargs)

    def _load_metainfo(self, metainfo=None) -> dict:
        # a class list given with --cfg-options arrives with its numbers parsed ('3' -> 3)
        loaded = super()._load_metainfo(metainfo)
        return checked_metainfo_classes(loaded, self.num_classes, type(self).__name__)

    def load_data_list(self) -> list[dict]:
        with fileio.get_local_path(self.ann_file) as local_path, open(local_path) as file:
            data = json.load(file)
        if is_cocovid_layout(data):
            self._check_categories(data.get('categories') or [])
            return super().load_data_list()
        check_youtube_vis(data, self.ann_file)
        self._check_categories(data['categories'])
        self._set_categories(data['categories'])

        tracks = defaultdict(list)
        for ann in data.get('annotations', []):
            tracks[ann['video_id']].append(ann)
        self.cat_img_map = defaultdict(list)
        self.img_ids_with_ann = set()
        data_list, img_id, ann_id, instance_id = [], 0, 0, 0
        for video in data['videos']:
            instance_ids = {}
            for ann in tracks[video['id']]:
                instance_id += 1
                instance_ids[id(ann)] = instance_id
            images = []
            for frame, file_name in enumerate(video['file_names']):
                img_id += 1
                raw_anns = []
                for ann in tracks[video['id']]:
                    rle = ann['segmentations'][frame]
                    if rle is None:
                        continue
                    ann_id += 1
                    raw_anns.append(
                        self._frame_annotation(
                            ann, frame, rle, video, ann_id, img_id, instance_ids[id(ann)]
                        )
                    )
                    self.cat_img_map[ann['category_id']].append(img_id)
                raw_img = dict(
                    file_name=file_name,
                    height=video['height'],
                    width=video['width'],
                    id=img_id,
                    img_id=img_id,
                    frame_id=frame,
                    video_id=video['id'],
                    video_name=video_name(video),
                )
                info = self.parse_data_info(dict(raw_img_info=raw_img, raw_ann_info=raw_anns))
                if info['instances']:
                    self.img_ids_with_ann.add(img_id)
                images.append(info)
            data_list.append(dict(video_id=video['id'], images=images, video_length=len(images)))
        return data_list

    def _check_categories(self, categories: list[dict]) -> None:
        """The json's category names must be the config's classes: a category the model
        does not know would be dropped with its tracks, a class without a category would
        be scored against nothing."""
        names = [str(c.get('name')) for c in categories if isinstance(c, dict)]
        classes = list(self.metainfo['classes'])
        unknown = [name for name in names if name not in classes]
        missing = [name for name in classes if name not in names]
        if unknown or missing:
            problems = []
            if unknown:
                problems.append(f'categories {unknown} are not among the classes')
            if missing:
                problems.append(f'has no category named {missing}')
            raise DataError(
                f'{self.ann_file}: "categories" ({len(names)}: {names}) differ from the '
                f"config's {len(classes)} classes {classes} (metainfo.classes, the classes "
                'the model was built for): ' + '; '.join(problems)
            )

    def _set_categories(self, categories: list[dict]) -> None:
        by_name = {category['name']: category['id'] for category in categories}
        classes = list(self.metainfo['classes'])
        self.cat_ids = [by_name[name] for name in classes]
        self.cat2label = {cat_id: label for label, cat_id in enumerate(self.cat_ids)}

    @staticmethod
    def _frame_annotation(ann, frame, rle, video, ann_id, img_id, instance_id) -> dict:
        """One track on one frame, as mmdet's converter writes it (CocoVID)."""
        height, width = video['height'], video['width']
        compressed = (
            mask_utils.frPyObjects(rle, height, width) if isinstance(rle['counts'], list) else rle
        )
        bbox = (ann.get('bboxes') or [None] * video['length'])[frame]
        area = (ann.get('areas') or [None] * video['length'])[frame]
        if bbox is None:
            bbox = [float(v) for v in mask_utils.toBbox(compressed)]
        if area is None:
            area = float(mask_utils.area(compressed))
        return dict(
            id=ann_id,
            video_id=video['id'],
            image_id=img_id,
            category_id=ann['category_id'],
            instance_id=instance_id,
            bbox=bbox,
            segmentation=rle,
            area=area,
            iscrowd=ann.get('iscrowd', 0),
        )

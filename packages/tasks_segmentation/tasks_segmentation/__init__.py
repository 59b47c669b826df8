"""tasks_segmentation: action segmentation and video instance segmentation as DLM task plugins."""

from . import ytviseval_compat  # noqa: F401  (mmdet's YouTube-VIS evaluator on numpy>=1.24)
from .datasets import youtube_vis as _youtube_vis_dataset  # noqa: F401  (registers)
from .evaluation import youtube_vis_metric as _vis_metric  # noqa: F401  (registers)
from .plugins import video_instance_segmentation as _vis_plugin  # noqa: F401  (registers)
from .registry import DATASETS, METRICS, MODELS, SCOPE, TASKS, TRANSFORMS

__all__ = ['DATASETS', 'METRICS', 'MODELS', 'SCOPE', 'TASKS', 'TRANSFORMS']

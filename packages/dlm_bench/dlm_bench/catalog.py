"""What the benchmark is made of: primaries, methods, metrics, configs, the paper's numbers.

Configs are read with ``import_custom_modules=False``: the benchmark never imports a task
package, it only reads the files that tools/train.py and tools/test.py will run.
"""

from __future__ import annotations

import os.path as osp
from dataclasses import dataclass

from mmengine.config import Config

#: the repository root (packages/dlm_bench/dlm_bench/catalog.py -> three levels up)
REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

#: the primaries in the order of the paper's Table 1 (MVLPT's source is the next one)
PRIMARIES = ('ssv2', 'ava', 'thumos14', '50salads', 'imagenet_vid', 'youtube_vis')
#: Table 1's methods, then the ablation rows
METHODS = (
    'full',
    'vpt_shallow',
    'hps',
    'mvlpt',
    'dlm',
    'vpt_middle',
    'dlm_no_layer2',
    'dlm_frozen_head',
)
#: the methods whose learning rate comes from the shared grid (each trains its task head)
PROMPT_METHODS = ('vpt_shallow', 'vpt_middle', 'mvlpt', 'dlm', 'dlm_no_layer2')
#: methods whose config is a DLM config: they are tested with static and dynamic prompts
DLM_METHODS = ('dlm', 'dlm_no_layer2', 'dlm_frozen_head')
#: DLM with the exact start (zero-initialised prompt gates) and DLM's static prompts
#: calibrated after training (a calibration-only run from the DLM run of the same seed)
VARIANT_METHODS = ('dlm_exact', 'dlm_calibrated')
LABELS = {
    'foundation': 'Foundation ViT',
    'full': 'Full fine-tuning',
    'vpt_shallow': 'VPT-shallow',
    'hps': 'HPS',
    'mvlpt': 'MVLPT',
    'dlm': 'DLM-VMTL',
    'vpt_middle': 'VPT-middle',
    'dlm_no_layer2': 'DLM without layer 2',
    'dlm_frozen_head': 'DLM-VMTL, frozen head',
    'dlm_random_aux': 'DLM-VMTL, random auxiliaries',
    'dlm_exact': 'DLM-VMTL, exact start',
    'dlm_calibrated': 'DLM-VMTL, static calibrated',
}
#: held-out set -> (zero-shot config, primary whose DLM prompts it loads): Table 2
ZERO_SHOT = {
    'ucf101': ('ucf101_ssv2_prompts', 'ssv2'),
    'hmdb51': ('hmdb51_ssv2_prompts', 'ssv2'),
    'ava_kinetics': ('ava_kinetics_ava_prompts', 'ava'),
    'breakfast': ('breakfast_50salads_prompts', '50salads'),
    'gtea': ('gtea_50salads_prompts', '50salads'),
}


@dataclass(frozen=True)
class Metric:
    """A primary metric: its key in tools/test.py's metrics, its scale to percent, and how
    per-video scores come out of a test run (``accuracy``: one 0/1 per dumped sample;
    ``f1_counts``: each video's TP/FP/FN, which the metric writes to the run's
    ``per_video_file``, F1 of their sums; ``replicates``: no sum over videos (mAP), so the
    metric writes its own value on fixed bootstrap resamples of the test videos to the
    run's ``replicates_file``; ``seeds``: none, intervals bootstrap over seeds only)."""

    key: str
    scale: float
    label: str
    per_video: str = 'seeds'


_TOP1 = Metric('acc/top1', 100.0, 'top-1', per_video='accuracy')
_AVA = Metric('mAP/overall', 100.0, 'frame mAP@0.5', per_video='replicates')
_F1 = Metric('f1@50', 1.0, 'F1@50', per_video='f1_counts')
METRICS = {
    'ssv2': _TOP1,
    'ava': _AVA,
    'thumos14': Metric('mAP', 1.0, 'mAP@0.3:0.7', per_video='replicates'),
    '50salads': _F1,
    'imagenet_vid': Metric('coco/bbox_mAP_50', 100.0, 'AP50', per_video='replicates'),
    'youtube_vis': Metric('youtube_vis/segm_mAP', 100.0, 'video AP', per_video='replicates'),
    'ucf101': _TOP1,
    'hmdb51': _TOP1,
    'foundation': Metric('acc/top1', 100.0, 'top-1 (latent labels)'),
    'ava_kinetics': _AVA,
    'breakfast': _F1,
    'gtea': _F1,
}
NAMES = {
    'foundation': 'Foundation pool',
    'ssv2': 'SSv2',
    'ava': 'AVA',
    'thumos14': 'THUMOS14',
    '50salads': '50Salads',
    'imagenet_vid': 'ImageNet VID',
    'youtube_vis': 'YouTube-VIS 2019',
    'ucf101': 'UCF101',
    'hmdb51': 'HMDB51',
    'ava_kinetics': 'AVA-Kinetics',
    'breakfast': 'Breakfast',
    'gtea': 'GTEA',
}
#: the paper's numbers (real data, ViT-B/ASFormer/TransVOD/DVIS), for the reference table
PAPER_TABLE1 = {
    'full': (75.2, 40.4, 67.8, 76.0, 90.1, 64.9),
    'vpt_shallow': (74.1, 38.9, 66.1, 74.3, 88.1, 62.7),
    'hps': (71.3, 36.9, 64.4, None, None, None),
    'mvlpt': (74.7, 39.5, 66.4, 73.9, 88.3, 62.3),
    'dlm': (76.7, 42.2, 68.6, 79.5, 91.0, 66.1),
}
PAPER_TRAINABLE = {'full': 100, 'vpt_shallow': 0.21, 'hps': 33.3, 'mvlpt': 0.21, 'dlm': 10.8}
PAPER_TABLE2 = {
    'original': (97.7, 85.1, 41.9, 53.7, 75.8),
    'dlm': (98.6, 86.9, 43.0, 56.5, 78.3),
}
#: wall seconds (train + test) per run, from the previous reproduction (docs/results.md of
#: the earlier tool): single-task models as measured at the configs' own schedules; prompt
#: methods and HPS twice the training time measured at half schedule, plus the test. The
#: runner's ETA starts from these until runs of this session have been timed.
MEASURED_S = {
    ('full', 'ssv2'): 72,
    ('full', 'ava'): 109,
    ('full', 'thumos14'): 33,
    ('full', '50salads'): 50,
    ('full', 'imagenet_vid'): 320,
    ('full', 'youtube_vis'): 320,
    ('hps', 'ssv2'): 210,
    ('hps', 'ava'): 320,
    ('vpt', 'ssv2'): 54,
    ('vpt', 'ava'): 50,
    ('vpt', 'thumos14'): 36,
    ('vpt', '50salads'): 34,
    ('vpt', 'imagenet_vid'): 86,
    ('vpt', 'youtube_vis'): 56,
    ('dlm', 'ssv2'): 108,
    ('dlm', 'ava'): 120,
    ('dlm', 'thumos14'): 140,
    ('dlm', '50salads'): 44,
    ('dlm', 'imagenet_vid'): 100,
    ('dlm', 'youtube_vis'): 104,
}


def measured_seconds(method: str, task: str) -> float:
    """The prior estimate of one run's wall time (the prompt methods at full schedule)."""
    if method == 'full' or method.startswith('zero_shot'):
        return MEASURED_S.get(('full', task), 60.0 if method == 'full' else 10.0)
    family = 'hps' if method == 'hps' else 'vpt' if method.startswith(('vpt', 'mvlpt')) else 'dlm'
    return MEASURED_S.get((family, task), 100.0)


#: single-task models that start from a shared base rather than from scratch (the paper's
#: ViT-B task models all fine-tune one VideoMAE V2 checkpoint): the demo ViT recognizers
#: from the foundation run, the ImageNet VID detector from its box-pretrained backbone.
#: AVA's foundation config changes its architecture (layer scale), so the DLM configs'
#: AVA plugin could not load it; its measured gain was a tie, so AVA trains from scratch.
PRETRAINED_CONFIGS = {
    'ssv2': 'configs/tasks/ssv2_demo_foundation.py',
    'ucf101': 'configs/tasks/ucf101_demo_foundation.py',
    'hmdb51': 'configs/tasks/hmdb51_demo_foundation.py',
    'imagenet_vid': 'configs/tasks/imagenet_vid_demo_pretrained.py',
}
#: the foundation run: the demo ViT pretrained on the foundation pool (no split reads it)
FOUNDATION_CONFIG = 'configs/foundation/demo_vit.py'


def config_path(method: str, task: str, pretrained: bool = True) -> str:
    """The config of one Table 1 cell, relative to the repository root (``pretrained``
    False: every single-task model from scratch)."""
    if method == 'foundation':
        return FOUNDATION_CONFIG
    if method == 'full':
        scratch = f'configs/tasks/{task}_demo.py'
        return PRETRAINED_CONFIGS.get(task, scratch) if pretrained else scratch
    if method.startswith('dlm') and method != 'dlm_no_layer2':
        return f'configs/dlm/{task}_aux5.py'
    return f'configs/baselines/{method}/{task}.py'


_CONFIGS: dict = {}


def load_config(path: str, root: str | None = None) -> Config:
    """The config at ``path`` (relative to ``root``, default the repository), read once."""
    full = osp.join(root or REPO, path)
    if full not in _CONFIGS:
        _CONFIGS[full] = Config.fromfile(full, import_custom_modules=False)
    return _CONFIGS[full]


def backbone_slots(node, path: str = 'model') -> list:
    """``(option path, task)`` of every plugin that takes its frozen model from a
    single-task config (``task_config``) and names no checkpoint of its own."""
    slots = []
    if isinstance(node, dict):
        task_config = node.get('task_config')
        if task_config and 'checkpoint' not in node:
            name = osp.splitext(osp.basename(task_config))[0]
            slots.append((path, name[: -len('_demo')] if name.endswith('_demo') else name))
        for key, value in node.items():
            slots += backbone_slots(value, f'{path}.{key}')
    return slots


def auxiliaries(task: str, root: str | None = None) -> list:
    """The names of the auxiliaries of ``task``'s DLM config, in config order."""
    return list(load_config(config_path('dlm', task), root).model.auxiliaries or {})

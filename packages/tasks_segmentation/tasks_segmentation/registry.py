"""Registries of the ``tasks_segmentation`` scope.

Children of mmdet's registries (so a config with ``default_scope='tasks_segmentation'`` reaches
this package's classes, then mmdet's, then MMEngine's) and of dlm_core's ``TASKS``.
"""

import dlm_core  # noqa: F401  (first: it makes mmaction2 1.2.0's models importable)

# isort: split
from mmdet import registry as mmdet_registry

from dlm_core.registry import child_registries, task_registry

SCOPE = 'tasks_segmentation'

_registries = child_registries(
    SCOPE,
    mmdet_registry,
    dict(
        DATASETS=[
            'tasks_segmentation.datasets.youtube_vis',
            'tasks_segmentation.datasets.action_segmentation',
        ],
        MODELS=[
            'tasks_segmentation.models.asformer',
            'tasks_segmentation.models.action_segmentor',
            'tasks_segmentation.models.action_segmentation_loss',
            'tasks_segmentation.models.action_segmentation_preprocessor',
            'tasks_segmentation.features.snippet_features',
        ],
        TRANSFORMS=[
            'tasks_segmentation.transforms.load_segmentation_features',
            'tasks_segmentation.transforms.pack_segmentation_inputs',
        ],
        METRICS=[
            'tasks_segmentation.evaluation.action_segmentation_metric',
            'tasks_segmentation.evaluation.youtube_vis_metric',
        ],
        HOOKS=[
            'tasks_segmentation.hooks.epoch_loss_plateau_hook',
            'tasks_segmentation.hooks.instance_pretrain_hook',
        ],
    ),
)
MODELS = _registries['MODELS']
DATASETS = _registries['DATASETS']
TRANSFORMS = _registries['TRANSFORMS']
METRICS = _registries['METRICS']
HOOKS = _registries['HOOKS']

#: The plugins this package adds to the core.
TASKS = task_registry(
    SCOPE,
    locations=[
        'tasks_segmentation.plugins.video_instance_segmentation',
        'tasks_segmentation.plugins.action_segmentation',
    ],
)

# HPS (docs/method.md §2) evaluated on the demo SSv2 set: the SSv2 recognizer and the AVA detector,
# the two demo tasks whose encoders are the same mmaction2 ViT (width 96, 4 blocks of 4 heads,
# MLP ratio 2), train one set of transformer blocks jointly, one batch of each dataset in
# turn; each task keeps its own stem (patch size 8 at 32 px vs 16 at 64 px) and head.
# The blocks start from the SSv2 single-task model; the AVA detector takes SSv2's layer scale
# (init_values), so its own checkpoint no longer fits: its stem and head start from scratch.
# THUMOS14's demo model is a transformer over snippet features (width 64), not this ViT, and
# the other tasks are not ViTs at all, so the paper's three-task HPS is two tasks here.
#   python tools/train.py configs/tasks/ssv2_demo.py
#   python tools/train.py configs/baselines/hps/ssv2.py
_base_ = ['../../tasks/ssv2_demo.py', '../../_base_/baselines/hps.py']

from mmengine.config import Config as _Config  # noqa: E402

_partner = _Config.fromfile('{{ fileDirname }}/../../tasks/ava_demo.py')
del _Config

custom_imports = dict(imports=['tasks_recognition', 'tasks_detection'], allow_failed_imports=False)

model = dict(
    _delete_=True,
    type='dlm.HardParameterSharingModel',
    eval_task='ssv2',
    tasks=dict(
        ssv2=dict(
            type='tasks_recognition.ActionRecognitionTask',
            task_config='configs/tasks/ssv2_demo.py',
        ),
        ava=dict(
            type='tasks_detection.SpatioTemporalDetectionTask',
            model=dict(
                _partner.model,
                backbone=dict(
                    _partner.model.backbone, init_values={{_base_.model.backbone.init_values}}
                ),
            ),
            checkpoint=None,
        ),
    ),
)

# the SSv2 run's 20 epochs of 38 batches, interleaved with as many AVA batches
hps_iters = 2 * 20 * 38
hps_warmup = hps_iters // 20
train_cfg = dict(
    _base_.hps_train_cfg,
    task='ssv2',
    other_dataloaders=dict(
        ava=dict(
            _partner.train_dataloader,
            dataset=dict(_partner.train_dataloader.dataset, _scope_='tasks_detection'),
        )
    ),
    max_iters=hps_iters,
    val_interval=hps_iters // 5,
)
param_scheduler = [
    dict(_base_.hps_warmup_lr, end=hps_warmup),
    dict(_base_.hps_cosine_lr, T_max=hps_iters - hps_warmup, begin=hps_warmup, end=hps_iters),
]
# the task's AdamW without its paramwise options (configs/_base_/baselines/hps.py says why)
optim_wrapper = _base_.hps_optim_wrapper
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=hps_iters // 5))
log_processor = dict(by_epoch=False)
work_dir = 'work_dirs/baselines/hps/ssv2'
del _partner

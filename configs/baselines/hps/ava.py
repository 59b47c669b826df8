# HPS (docs/method.md §2) evaluated on the demo AVA set: the AVA detector and the SSv2 recognizer
# (the two demo tasks whose encoders are the same mmaction2 ViT: width 96, 4 blocks of 4
# heads, MLP ratio 2) train one set of transformer blocks jointly, one batch of each dataset
# in turn; each task keeps its own stem and head. The blocks start from the AVA single-task
# model; the SSv2 recognizer drops its layer scale (init_values) to take AVA's blocks, so its
# own checkpoint no longer fits: its stem and head start from scratch. See hps/ssv2.py for
# why the paper's third ViT task (THUMOS14) is not part of it here.
#   python tools/train.py configs/tasks/ava_demo.py
#   python tools/train.py configs/baselines/hps/ava.py
_base_ = ['../../tasks/ava_demo.py', '../../_base_/baselines/hps.py']

from mmengine.config import Config as _Config  # noqa: E402

_partner = _Config.fromfile('{{ fileDirname }}/../../tasks/ssv2_demo.py')
del _Config

custom_imports = dict(imports=['tasks_detection', 'tasks_recognition'], allow_failed_imports=False)

model = dict(
    _delete_=True,
    type='dlm.HardParameterSharingModel',
    eval_task='ava',
    tasks=dict(
        ava=dict(
            type='tasks_detection.SpatioTemporalDetectionTask',
            task_config='configs/tasks/ava_demo.py',
        ),
        ssv2=dict(
            type='tasks_recognition.ActionRecognitionTask',
            model=dict(_partner.model, backbone=dict(_partner.model.backbone, init_values=0.0)),
            checkpoint=None,
        ),
    ),
)

# the AVA run's 80 epochs of 20 batches, interleaved with as many SSv2 batches
hps_iters = 2 * 80 * 20
hps_warmup = hps_iters // 80
train_cfg = dict(
    _base_.hps_train_cfg,
    task='ava',
    other_dataloaders=dict(
        ssv2=dict(
            _partner.train_dataloader,
            dataset=dict(_partner.train_dataloader.dataset, _scope_='tasks_recognition'),
        )
    ),
    max_iters=hps_iters,
    val_interval=hps_iters // 4,
)
param_scheduler = [
    dict(_base_.hps_warmup_lr, end=hps_warmup),
    dict(_base_.hps_cosine_lr, T_max=hps_iters - hps_warmup, begin=hps_warmup, end=hps_iters),
]
# the task's AdamW without its paramwise options (configs/_base_/baselines/hps.py says why)
optim_wrapper = _base_.hps_optim_wrapper
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=hps_iters // 4))
log_processor = dict(by_epoch=False)
work_dir = 'work_dirs/baselines/hps/ava'
del _partner

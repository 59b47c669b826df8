# DLM on the demo AVA set with the five other tasks as auxiliaries: the ViT backbone of the
# frozen spatio-temporal action detector of configs/tasks/ava_demo.py is prompted (prepended
# tokens, from its middle block; the RoI head pools the clip's own tokens) by a double layer
# mapper reading the middle tokens of the frozen SSv2 recognizer (ViT), THUMOS14 detector
# (snippet features computed from the clip), 50Salads ASFormer (per-frame features computed
# from the clip), ImageNet VID detector (Deformable DETR decoder queries) and YouTube-VIS
# model (Mask2Former decoder queries), each run on its own view of the keyframe's 8-frame clip.
#   python tools/train.py configs/dlm/ava_aux5.py    (after the single-task runs)
#   python tools/demo.py configs/dlm/ava_aux5.py     (trains what is missing, then this)
_base_ = ['../tasks/ava_demo.py', '_base_/demo_auxiliaries.py']

model = dict(
    _delete_=True,
    type='dlm.MultiTaskPromptModel',
    primary=dict(
        type='tasks_detection.SpatioTemporalDetectionTask',
        task_config='configs/tasks/ava_demo.py',
    ),
    auxiliaries={k: v for k, v in _base_.demo_auxiliaries.items() if k != 'ava'},
    mapper=_base_.dlm_mapper,
    train_head=False,
    infer_mode='static',
)

# about 190 mapper updates: 10 epochs of 19 batches of 8 keyframes;
# validation at the end (static prompts: no auxiliary model runs)
max_epochs = 10
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_begin=max_epochs, val_interval=max_epochs
)
optim_wrapper = dict(
    _delete_=True, type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4)
)
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs,
        eta_min=1e-5,
        by_epoch=True,
        convert_to_iter_based=True,
    ),
]
default_hooks = dict(checkpoint=dict(interval=max_epochs, max_keep_ckpts=1, save_best=None))
custom_hooks = _base_.dlm_hooks

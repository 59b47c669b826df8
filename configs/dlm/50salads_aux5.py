# DLM on the demo 50Salads set with the five other tasks as auxiliaries (the paper's setting):
# the frozen ASFormer of configs/tasks/50salads_demo.py is prompted (prefix mode, from its
# middle encoder block) by a double layer mapper reading the middle tokens of the frozen
# SSv2 recognizer (ViT), AVA detector (ViT), THUMOS14 detector (transformer over snippet
# features), ImageNet VID detector (Deformable DETR decoder queries) and YouTube-VIS model
# (Mask2Former decoder queries), each run on its own view of a clip of the 50Salads video.
#   python tools/train.py configs/dlm/50salads_aux5.py    (after the single-task runs)
#   python tools/demo.py configs/dlm/50salads_aux5.py     (trains what is missing, then this)
_base_ = ['../tasks/50salads_demo.py', '_base_/demo_auxiliaries.py']

model = dict(
    _delete_=True,
    type='dlm.MultiTaskPromptModel',
    primary=dict(
        type='tasks_segmentation.ActionSegmentationTask',
        task_config='configs/tasks/50salads_demo.py',
    ),
    auxiliaries={k: v for k, v in _base_.demo_auxiliaries.items() if k != '50salads'},
    mapper=_base_.dlm_mapper,
    train_head=False,
    infer_mode='static',
)

# the primary's features plus a clip of frames for the auxiliary views
train_dataloader = dict(
    dataset=dict(pipeline={{_base_.frames_pipeline}}, data_prefix=dict(video='videos'))
)
val_dataloader = dict(
    dataset=dict(pipeline={{_base_.frames_pipeline}}, data_prefix=dict(video='videos'))
)
test_dataloader = val_dataloader

# 20 epochs of 4 batches; validation (static prompts, no auxiliary model) at 10 and 20
max_epochs = 20
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_begin=10, val_interval=10)
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5, by_epoch=True),
]
custom_hooks = _base_.dlm_hooks

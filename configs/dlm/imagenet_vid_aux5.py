# DLM on the demo ImageNet VID set with the five other tasks as auxiliaries: the frozen video
# object detector of configs/tasks/imagenet_vid_demo.py is prompted (prefix mode: extra keys
# and values of the query self-attention in its upper Deformable DETR decoder layers) by a
# double layer mapper reading the middle tokens of the frozen SSv2 recognizer (ViT), AVA
# detector (ViT), THUMOS14 detector (snippet features computed from the frames), 50Salads
# ASFormer (per-frame features computed from the frames) and YouTube-VIS model (Mask2Former
# decoder queries), each run on its own view of the key frame and its reference frames.
#   python tools/train.py configs/dlm/imagenet_vid_aux5.py    (after the single-task runs)
#   python tools/demo.py configs/dlm/imagenet_vid_aux5.py     (trains what is missing, then this)
_base_ = ['../tasks/imagenet_vid_demo.py', '_base_/demo_auxiliaries.py']

model = dict(
    _delete_=True,
    type='dlm.MultiTaskPromptModel',
    primary=dict(
        type='tasks_detection.VideoObjectDetectionTask',
        task_config='configs/tasks/imagenet_vid_demo.py',
    ),
    auxiliaries={k: v for k, v in _base_.demo_auxiliaries.items() if k != 'imagenet_vid'},
    mapper=_base_.dlm_mapper,
    train_head=False,
    infer_mode='static',
)

# about 250 mapper updates: 2 epochs of 126 batches of 4 key frames;
# validation at the end (static prompts: no auxiliary model runs)
max_epochs = 2
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

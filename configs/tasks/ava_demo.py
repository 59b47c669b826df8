# Single-task training of the spatio-temporal action detector on the demo AVA set (CPU,
# minutes): mmdet's FastRCNN with mmaction2's VisionTransformer backbone and AVARoIHead,
# as mmaction2's VideoMAE AVA configs build it, at a tiny size (the shared part of the model:
# configs/_base_/models/vit_fastrcnn_ava.py). Its checkpoint is the frozen AVA model of the
# DLM runs.
#   python -m tasks_detection.demo.ava --root data/demo
#   python tools/train.py configs/tasks/ava_demo.py
#   python tools/test.py configs/tasks/ava_demo.py work_dirs/ava_demo/epoch_N.pth
_base_ = [
    '../_base_/demo_runtime.py',
    '../_base_/models/vit_fastrcnn_ava.py',
    '../_base_/optimizers/adamw_no_norm_decay.py',
]

data_root = 'data/demo/ava'
anno_root = f'{data_root}/annotations'
num_classes = 9  # 8 actions + background, ids 1..8 in the label map
clip_len, frame_interval = 8, 4
embed_dims = 96

model = dict(
    backbone=dict(
        img_size=64,
        embed_dims=embed_dims,
        depth=4,
        num_heads=4,
        mlp_ratio=2,
        num_frames=clip_len,
        tubelet_size=2,
        drop_path_rate=0.1,
    ),
    roi_head=dict(
        bbox_roi_extractor=dict(output_size=4),
        bbox_head=dict(in_channels=embed_dims, num_classes=num_classes),
    ),
)

dataset_type = 'ValidatedAVADataset'
ann_file_train = f'{anno_root}/ava_train_v2.2.csv'
ann_file_val = f'{anno_root}/ava_val_v2.2.csv'
exclude_file_train = f'{anno_root}/ava_train_excluded_timestamps_v2.2.csv'
exclude_file_val = f'{anno_root}/ava_val_excluded_timestamps_v2.2.csv'
label_file = f'{anno_root}/ava_action_list_v2.2_for_activitynet_2019.pbtxt'
proposal_file_train = f'{anno_root}/ava_dense_proposals_train.FAIR.recall_93.9.pkl'
proposal_file_val = f'{anno_root}/ava_dense_proposals_val.FAIR.recall_93.9.pkl'
meta_keys = ('img_shape', 'img_key', 'video_id', 'timestamp', 'fps', 'frame_interval')

# no flip: it would turn "move left" into "move right" without changing the label
train_pipeline = [
    dict(type='mmaction.SampleAVAFrames', clip_len=clip_len, frame_interval=frame_interval),
    dict(type='mmaction.RawFrameDecode'),
    dict(type='mmaction.RandomRescale', scale_range=(64, 80)),
    dict(type='mmaction.RandomCrop', size=64),
    dict(type='mmaction.FormatShape', input_format='NCTHW', collapse=True),
    dict(type='mmaction.PackActionInputs', meta_keys=meta_keys),
]
# the training steps without the augmentation: a fixed sample of the full frame
val_pipeline = [dict(train_pipeline[0], test_mode=True), train_pipeline[1], *train_pipeline[-2:]]
dataset = dict(
    type=dataset_type,
    label_file=label_file,
    num_classes=num_classes,
    data_prefix=dict(img=f'{data_root}/rawframes'),
    timestamp_start=900,
    timestamp_end=905,
)
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        dataset,
        ann_file=ann_file_train,
        exclude_file=exclude_file_train,
        proposal_file=proposal_file_train,
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    train_dataloader,
    batch_size=1,  # AVARoIHead predicts one clip at a time
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        dataset,
        ann_file=ann_file_val,
        exclude_file=exclude_file_val,
        proposal_file=proposal_file_val,
        pipeline=val_pipeline,
        test_mode=True,
    ),
)
test_dataloader = val_dataloader

val_evaluator = dict(
    type='AVAFrameMAP',
    ann_file=ann_file_val,
    label_file=label_file,
    exclude_file=exclude_file_val,
    num_classes=num_classes,
)
test_evaluator = val_evaluator

max_epochs = 80
train_cfg = dict(max_epochs=max_epochs, val_begin=20, val_interval=20)

optim_wrapper = dict(optimizer=dict(lr=2e-3), clip_grad=dict(max_norm=5.0))
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], T_max=max_epochs - 1, end=max_epochs),
]

default_hooks = dict(
    checkpoint=dict(interval=20, max_keep_ckpts=1, save_best='mAP/overall', rule='greater'),
)

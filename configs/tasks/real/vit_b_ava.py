# Spatio-temporal action detection on AVA v2.2 (the paper's spatio-temporal detection
# task): mmdet's FastRCNN with mmaction2's VisionTransformer (ViT-B/16, VideoMAE geometry,
# 16 frames every 4, feature map out) and AVARoIHead, as mmaction2's VideoMAE AVA config
# builds it (configs/detection/videomae/vit-base-p16_videomae-k400-pre_...). Data as
# mmaction2's tools/data/ava prepare it:
#   data/ava/rawframes/<video_id>/img_%05d.jpg (30 fps),
#   data/ava/annotations/ava_{train,val}_v2.2.csv, ..._excluded_timestamps_v2.2.csv,
#   ava_action_list_v2.2_for_activitynet_2019.pbtxt, ava_dense_proposals_*.FAIR.recall_93.9.pkl
_base_ = ['../../_base_/real_runtime.py', '../../_base_/models/vit_fastrcnn_ava.py']

url = (
    'https://download.openmmlab.com/mmaction/v1.0/recognition/videomae/'
    'vit-base-p16_videomae-k400-pre_16x4x1_kinetics-400_20221013-860a3cd3.pth'
)
num_classes = 81
clip_len, frame_interval = 16, 4

model = dict(
    init_cfg=dict(type='Pretrained', checkpoint=url),
    backbone=dict(
        img_size=224,
        embed_dims=768,
        depth=12,
        num_heads=12,
        mlp_ratio=4,
        num_frames=clip_len,
        drop_path_rate=0.2,
    ),
    roi_head=dict(
        bbox_roi_extractor=dict(output_size=8),
        bbox_head=dict(in_channels=768, num_classes=num_classes),
    ),
)

data_root = 'data/ava'
anno_root = f'{data_root}/annotations'
ann_file_train = f'{anno_root}/ava_train_v2.2.csv'
ann_file_val = f'{anno_root}/ava_val_v2.2.csv'
exclude_file_train = f'{anno_root}/ava_train_excluded_timestamps_v2.2.csv'
exclude_file_val = f'{anno_root}/ava_val_excluded_timestamps_v2.2.csv'
label_file = f'{anno_root}/ava_action_list_v2.2_for_activitynet_2019.pbtxt'
proposal_file_train = f'{anno_root}/ava_dense_proposals_train.FAIR.recall_93.9.pkl'
proposal_file_val = f'{anno_root}/ava_dense_proposals_val.FAIR.recall_93.9.pkl'
meta_keys = ('img_shape', 'img_key', 'video_id', 'timestamp', 'fps', 'frame_interval')

train_pipeline = [
    dict(type='mmaction.SampleAVAFrames', clip_len=clip_len, frame_interval=frame_interval),
    dict(type='mmaction.RawFrameDecode'),
    dict(type='mmaction.RandomRescale', scale_range=(256, 320)),
    dict(type='mmaction.RandomCrop', size=256),
    dict(type='mmaction.Flip', flip_ratio=0.5),
    dict(type='mmaction.FormatShape', input_format='NCTHW', collapse=True),
    dict(type='mmaction.PackActionInputs', meta_keys=meta_keys),
]
# the training steps without the augmentation: a fixed sample, resized to 256 high
val_pipeline = [
    dict(train_pipeline[0], test_mode=True),
    train_pipeline[1],
    dict(type='mmaction.Resize', scale=(-1, 256)),
    *train_pipeline[-2:],
]
dataset = dict(
    type='ValidatedAVADataset',
    label_file=label_file,
    num_classes=num_classes,
    data_prefix=dict(img=f'{data_root}/rawframes'),
)
train_dataloader = dict(
    dataset=dict(
        dataset,
        ann_file=ann_file_train,
        exclude_file=exclude_file_train,
        proposal_file=proposal_file_train,
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    batch_size=1,  # AVARoIHead predicts one clip at a time
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

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=20, val_begin=1, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=5, convert_to_iter_based=True
    ),
    dict(
        type='CosineAnnealingLR',
        T_max=15,
        eta_min=0,
        by_epoch=True,
        begin=5,
        end=20,
        convert_to_iter_based=True,
    ),
]

optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1.25e-4, weight_decay=0.05),
    constructor='mmaction.LearningRateDecayOptimizerConstructor',
    paramwise_cfg={'decay_rate': 0.75, 'decay_type': 'layer_wise', 'num_layers': 12},
    clip_grad=dict(max_norm=40, norm_type=2),
)

default_hooks = dict(checkpoint=dict(max_keep_ckpts=2, save_best='mAP/overall', rule='greater'))

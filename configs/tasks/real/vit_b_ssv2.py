# Action recognition on Something-Something V2 (the paper's primary recognition task):
# ViT-B/16 in the VideoMAE V2 distilled geometry (ViT-g teacher -> ViT-B, 16x224x224,
# tubelet 2, fixed sinusoid positions, mean pooling + fc_norm), mmaction2's Recognizer3D.
# Data as mmaction2's tools/data/sthv2 prepare it:
#   data/sthv2/videos/<id>.mp4, data/sthv2/sthv2_{train,val}_list_videos.txt,
#   data/sthv2/annotations/something-something-v2-labels.json
_base_ = ['../../_base_/real_runtime.py', '../../_base_/models/vit_recognizer.py']

num_classes = 174
clip_len = 16
img_size = 224
embed_dims = 768
# VideoMAE V2 ViT-B distilled from ViT-g (Kinetics-710), as released with mmaction2
pretrained = (
    'https://download.openmmlab.com/mmaction/v1.0/recognition/videomaev2/'
    'vit-base-p16_videomaev2-vit-g-dist-k710-pre_16x4x1_kinetics-400/'
    'vit-base-p16_videomaev2-vit-g-dist-k710-pre_16x4x1_kinetics-400_20230510-3e7f93b2.pth'
)

model = dict(
    backbone=dict(
        # mmaction2's VisionTransformer (same arguments, same state dict: its checkpoints load
        # strictly) with attention through scaled_dot_product_attention, which never stores
        # the 12 x 1568 x 1568 attention matrix (tasks_recognition.models)
        type='FusedAttentionViT',
        img_size=img_size,
        patch_size=16,
        embed_dims=embed_dims,
        depth=12,
        num_heads=12,
        mlp_ratio=4,
        num_frames=clip_len,
        drop_path_rate=0.1,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='backbone.'),
    ),
    cls_head=dict(num_classes=num_classes, in_channels=embed_dims, dropout_ratio=0.5),
)

dataset_type = 'ValidatedVideoDataset'
# every path below derives from data_root: --cfg-options data_root=/datasets/sthv2 moves them all
data_root = 'data/sthv2'
video_root = f'{data_root}/videos'
ann_file_train = f'{data_root}/sthv2_train_list_videos.txt'
ann_file_val = f'{data_root}/sthv2_val_list_videos.txt'
ann_file_test = ann_file_val
# every video is opened once before the run (probe_workers threads): a bad line stops the
# run at build time, naming the list, the line and the file
video_checks = dict(check_videos='decode', on_invalid='error', probe_workers=8)
meta_keys = ('img_shape', 'avg_fps', 'frame_interval')

# SSv2 is direction-sensitive ("from left to right"): no flips. Segment-uniform sampling
# over the whole video, as VideoMAE samples SSv2.
train_pipeline = [
    dict(type='FrameAccurateInit'),
    dict(type='UniformSample', clip_len=clip_len, num_clips=1),
    dict(type='FrameAccurateDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='RandomResizedCrop', area_range=(0.25, 1.0)),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', meta_keys=meta_keys),
]
# the same decoding and packing as training: a fixed sample, centre crop (validation) or
# two clips of three crops each (test)
val_pipeline = [
    train_pipeline[0],
    dict(train_pipeline[1], test_mode=True),
    train_pipeline[2],
    dict(type='Resize', scale=(-1, img_size)),
    dict(type='CenterCrop', crop_size=img_size),
    *train_pipeline[-2:],
]
test_pipeline = [
    *val_pipeline[:1],
    dict(val_pipeline[1], num_clips=2),
    *val_pipeline[2:4],
    dict(type='ThreeCrop', crop_size=img_size),
    *val_pipeline[-2:],
]

train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_train,
        data_prefix=dict(video=video_root),
        num_classes=num_classes,
        pipeline=train_pipeline,
        **video_checks,
    ),
)
val_dataloader = dict(
    dataset=dict(
        train_dataloader['dataset'], ann_file=ann_file_val, pipeline=val_pipeline, test_mode=True
    ),
)
test_dataloader = dict(
    batch_size=1,
    dataset=dict(val_dataloader['dataset'], ann_file=ann_file_test, pipeline=test_pipeline),
)

val_evaluator = dict(type='AccMetric', metric_list=('top_k_accuracy', 'mean_class_accuracy'))
test_evaluator = val_evaluator

max_epochs = 40
warmup_epochs = 5
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_begin=1, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

# VideoMAE fine-tuning recipe: AdamW, layer-wise lr decay, warmup + cosine
optim_wrapper = dict(
    type='AmpOptimWrapper',
    optimizer=dict(type='AdamW', lr=5e-4, betas=(0.9, 0.999), weight_decay=0.05),
    constructor='LearningRateDecayOptimizerConstructor',
    paramwise_cfg=dict(decay_rate=0.75, decay_type='layer_wise', num_layers=12),
    clip_grad=dict(max_norm=5.0),
)
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.001,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True,
    ),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - warmup_epochs,
        eta_min=1e-6,
        by_epoch=True,
        begin=warmup_epochs,
        end=max_epochs,
    ),
]

default_hooks = dict(
    checkpoint=dict(interval=1, max_keep_ckpts=3, save_best='acc/top1', rule='greater')
)

# Real-size video object detector on ImageNet VID: TransVOD's recipe on mmdet's classes.
# Deformable DETR (ResNet-50, ImageNet-pretrained, 4 levels, 300 queries, 6+6 layers, box
# refinement) per frame, plus the temporal query stage (TemporalQueryDETR) fusing the queries
# of the key frame and its reference frames. Data: ImageNet VID converted to CocoVID json as
# mmtracking's tools/dataset_converters/ilsvrc/imagenet2coco_vid.py writes it:
#   data/ILSVRC/annotations/imagenet_vid_{train,val}.json, frames under data/ILSVRC/Data/VID/.
#   python tools/train.py configs/tasks/real/transvod_r50_imagenet_vid.py
_base_ = ['../../_base_/default_runtime.py']

default_scope = 'tasks_detection'
custom_imports = dict(imports=['tasks_detection'], allow_failed_imports=False)

dims = 256
model = dict(
    type='TemporalQueryDETR',
    num_temporal_layers=1,
    data_preprocessor=dict(
        type='TrackDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=1,
    ),
    detector=dict(
        type='DeformableDETR',
        num_queries=300,
        num_feature_levels=4,
        with_box_refine=True,
        as_two_stage=False,
        backbone=dict(
            type='ResNet',
            depth=50,
            num_stages=4,
            out_indices=(1, 2, 3),
            frozen_stages=1,
            norm_cfg=dict(type='BN', requires_grad=False),
            norm_eval=True,
            style='pytorch',
            init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50'),
        ),
        neck=dict(
            type='ChannelMapper',
            in_channels=[512, 1024, 2048],
            kernel_size=1,
            out_channels=dims,
            act_cfg=None,
            norm_cfg=dict(type='GN', num_groups=32),
            num_outs=4,
        ),
        encoder=dict(
            num_layers=6,
            layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=dims, batch_first=True),
                ffn_cfg=dict(embed_dims=dims, feedforward_channels=1024, ffn_drop=0.1),
            ),
        ),
        decoder=dict(
            num_layers=6,
            return_intermediate=True,
            layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=dims, num_heads=8, dropout=0.1, batch_first=True),
                cross_attn_cfg=dict(embed_dims=dims, batch_first=True),
                ffn_cfg=dict(embed_dims=dims, feedforward_channels=1024, ffn_drop=0.1),
            ),
            post_norm_cfg=None,
        ),
        positional_encoding=dict(num_feats=dims // 2, normalize=True, offset=-0.5),
        bbox_head=dict(
            type='DeformableDETRHead',
            num_classes=30,
            embed_dims=dims,
            sync_cls_avg_factor=True,
            loss_cls=dict(
                type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=2.0
            ),
            loss_bbox=dict(type='L1Loss', loss_weight=5.0),
            loss_iou=dict(type='GIoULoss', loss_weight=2.0),
        ),
        train_cfg=dict(
            assigner=dict(
                type='HungarianAssigner',
                match_costs=[
                    dict(type='FocalLossCost', weight=2.0),
                    dict(type='BBoxL1Cost', weight=5.0, box_format='xywh'),
                    dict(type='IoUCost', iou_mode='giou', weight=2.0),
                ],
            )
        ),
        test_cfg=dict(max_per_img=100),
    ),
)

dataset_type = 'ImagenetVIDDataset'
data_root = 'data/ILSVRC/'
backend_args = None

train_pipeline = [
    dict(type='UniformRefFrameSample', num_ref_imgs=2, frame_range=9, filter_key_img=True),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile', backend_args=backend_args),
            dict(type='LoadTrackAnnotations'),
            dict(type='Resize', scale=(1000, 600), keep_ratio=True),
            dict(type='RandomFlip', prob=0.5),
        ],
    ),
    dict(type='PackTrackInputs'),
]
test_pipeline = [
    dict(type='NeighbourRefFrameSample', num_ref_imgs=4, frame_range=9),
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile', backend_args=backend_args),
            dict(type='LoadTrackAnnotations'),
            dict(type='Resize', scale=(1000, 600), keep_ratio=True),
        ],
    ),
    dict(type='PackTrackInputs'),
]

train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='TrackImgSampler'),
    dataset=dict(
        type=dataset_type,
        num_classes=30,  # the head's: the dataset checks its (ImageNet VID's 30) classes
        data_root=data_root,
        ann_file='annotations/imagenet_vid_train.json',
        data_prefix=dict(img_path='Data/VID'),
        pipeline=train_pipeline,
        backend_args=backend_args,
    ),
)
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='TrackImgSampler'),
    dataset=dict(
        type=dataset_type,
        num_classes=30,  # the head's: the dataset checks its (ImageNet VID's 30) classes
        data_root=data_root,
        ann_file='annotations/imagenet_vid_val.json',
        data_prefix=dict(img_path='Data/VID'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args,
    ),
)
test_dataloader = val_dataloader

# ImageNet VID's AP50 is COCO's bbox_mAP_50 (pycocotools)
val_evaluator = dict(
    type='CocoVideoMetric',
    metric='bbox',
    ann_file=f'{data_root}annotations/imagenet_vid_val.json',
    backend_args=backend_args,
)
test_evaluator = val_evaluator

max_epochs = 7
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=0.1, norm_type=2),
    paramwise_cfg=dict(
        custom_keys=dict(
            backbone=dict(lr_mult=0.1),
            sampling_offsets=dict(lr_mult=0.1),
            reference_points=dict(lr_mult=0.1),
        )
    ),
)
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[5], gamma=0.1)
]
auto_scale_lr = dict(base_batch_size=16)

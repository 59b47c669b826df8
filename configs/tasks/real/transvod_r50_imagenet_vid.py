# Real-size video object detector on ImageNet VID: TransVOD's recipe on mmdet's classes.
# Deformable DETR (ResNet-50, ImageNet-pretrained, 4 levels, 300 queries, 6+6 layers, box
# refinement) per frame, plus the temporal query stage (TemporalQueryDETR) fusing the queries
# of the key frame and its reference frames. Data: ImageNet VID converted to CocoVID json as
# mmtracking's tools/dataset_converters/ilsvrc/imagenet2coco_vid.py writes it:
#   data/ILSVRC/annotations/imagenet_vid_{train,val}.json, frames under data/ILSVRC/Data/VID/.
#   python tools/train.py configs/tasks/real/transvod_r50_imagenet_vid.py
_base_ = ['../../_base_/default_runtime.py', '../../_base_/models/temporal_query_detr.py']

dims = 256
model = dict(
    detector=dict(
        num_queries=300,
        num_feature_levels=4,
        backbone=dict(
            depth=50,
            out_indices=(1, 2, 3),
            frozen_stages=1,
            norm_cfg=dict(requires_grad=False),
            norm_eval=True,
            init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50'),
        ),
        neck=dict(
            in_channels=[512, 1024, 2048],
            out_channels=dims,
            norm_cfg=dict(num_groups=32),
            num_outs=4,
        ),
        encoder=dict(
            num_layers=6,
            layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=dims),
                ffn_cfg=dict(embed_dims=dims, feedforward_channels=1024, ffn_drop=0.1),
            ),
        ),
        decoder=dict(
            num_layers=6,
            layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=dims, num_heads=8, dropout=0.1),
                cross_attn_cfg=dict(embed_dims=dims),
                ffn_cfg=dict(embed_dims=dims, feedforward_channels=1024, ffn_drop=0.1),
            ),
        ),
        positional_encoding=dict(num_feats=dims // 2),
        bbox_head=dict(num_classes=30, embed_dims=dims),
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
# the training frames' loading and resizing, without the flip
test_pipeline = [
    dict(type='NeighbourRefFrameSample', num_ref_imgs=4, frame_range=9),
    dict(type='TransformBroadcaster', transforms=train_pipeline[1]['transforms'][:3]),
    train_pipeline[-1],
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
    train_dataloader,
    batch_size=1,
    num_workers=2,
    drop_last=False,
    dataset=dict(
        train_dataloader['dataset'],
        ann_file='annotations/imagenet_vid_val.json',
        test_mode=True,
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader

# ImageNet VID's AP50 is COCO's bbox_mAP_50 (pycocotools; mmdet's CocoVideoMetric, able to
# write it on bootstrap resamples of the videos: replicates_file)
val_evaluator = dict(
    type='CocoVideoMetricWithResamples',
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

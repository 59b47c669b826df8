# Real-size video instance segmentation on YouTube-VIS 2019: the values of mmdet's own
# mask2former_vis/mask2former_r50_8xb2-8e_youtubevis2019.py (ResNet-50, 100 queries, 9
# decoder layers of width 256, COCO Mask2Former initialisation; a test checks the model is
# the same), reading the official json as downloaded (no conversion step) through
# YouTubeVISJsonDataset. (mmdet's file cannot be inherited as 'mmdet::...': MMEngine looks
# it up with pkg_resources, which current setuptools no longer has.) Layout:
#   data/youtube_vis_2019/{train,valid}.json
#   data/youtube_vis_2019/{train,valid}/JPEGImages/<video>/<frame>.jpg
# The validation annotations are not public: evaluation writes the submission zip for the
# CodaLab server (format_only), as mmdet's config does.
#   python tools/train.py configs/tasks/real/mask2former_r50_youtube_vis.py
#   python tools/test.py configs/tasks/real/mask2former_r50_youtube_vis.py CKPT
_base_ = ['../../_base_/default_runtime.py', '../../_base_/models/mask2former_vis.py']

num_classes = 40
num_frames = 2
model = dict(
    backbone=dict(
        depth=50,
        frozen_stages=-1,
        norm_cfg=dict(requires_grad=False),
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50'),
    ),
    track_head=dict(
        in_channels=[256, 512, 1024, 2048],
        feat_channels=256,
        out_channels=256,
        num_classes=num_classes,
        num_queries=100,
        num_frames=num_frames,
        pixel_decoder=dict(
            norm_cfg=dict(num_groups=32),
            encoder=dict(
                num_layers=6,
                layer_cfg=dict(
                    self_attn_cfg=dict(embed_dims=256, num_heads=8),
                    ffn_cfg=dict(embed_dims=256, feedforward_channels=1024),
                ),
            ),
            positional_encoding=dict(num_feats=128),
        ),
        positional_encoding=dict(num_feats=128),
        transformer_decoder=dict(
            num_layers=9,
            layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=256, num_heads=8),
                cross_attn_cfg=dict(embed_dims=256, num_heads=8),
                ffn_cfg=dict(embed_dims=256, feedforward_channels=2048),
            ),
        ),
        loss_cls=dict(class_weight=[1.0] * num_classes + [0.1]),
        train_cfg=dict(num_points=12544),
    ),
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://download.openmmlab.com/mmdetection/v3.0/mask2former/'
        'mask2former_r50_8xb2-lsj-50e_coco/'
        'mask2former_r50_8xb2-lsj-50e_coco_20220506_191028-41b088b6.pth',
    ),
)

dataset_type = 'YouTubeVISJsonDataset'
data_root = 'data/youtube_vis_2019/'
train_pipeline = [
    dict(
        type='UniformRefFrameSample',
        num_ref_imgs=num_frames - 1,
        frame_range=100,
        filter_key_img=True,
    ),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile', backend_args=None),
            dict(type='LoadTrackAnnotations', with_mask=True),
            dict(type='Resize', scale=(640, 360), keep_ratio=True),
            dict(type='RandomFlip', prob=0.5),
        ],
    ),
    dict(type='PackTrackInputs'),
]
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile', backend_args=None),
            dict(type='Resize', scale=(640, 360), keep_ratio=True),
            dict(type='LoadTrackAnnotations', with_mask=True),
        ],
    ),
    dict(type='PackTrackInputs'),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='TrackAspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        dataset_version='2019',
        num_classes=num_classes,  # the head's: the dataset checks the classes against it
        ann_file='train.json',
        data_prefix=dict(img_path='train/JPEGImages'),
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        train_dataloader['dataset'],
        ann_file='valid.json',
        data_prefix=dict(img_path='valid/JPEGImages'),
        test_mode=True,
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader
val_evaluator = dict(
    type='RepeatableYouTubeVISMetric',
    metric='youtube_vis_ap',
    outfile_prefix='./work_dirs/mask2former_r50_youtube_vis/results',
    format_only=True,
)
test_evaluator = val_evaluator

embed_multi = dict(lr_mult=1.0, decay_mult=0.0)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.0001, weight_decay=0.05, eps=1e-8, betas=(0.9, 0.999)),
    paramwise_cfg=dict(
        custom_keys={
            'backbone': dict(lr_mult=0.1, decay_mult=1.0),
            'query_embed': embed_multi,
            'query_feat': embed_multi,
            'level_embed': embed_multi,
        },
        norm_decay_mult=0.0,
    ),
    clip_grad=dict(max_norm=0.01, norm_type=2),
)
max_iters = 6000
param_scheduler = dict(
    type='MultiStepLR', begin=0, end=max_iters, by_epoch=False, milestones=[4000], gamma=0.1
)
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=6001)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

default_hooks = dict(checkpoint=dict(by_epoch=False, save_last=True, interval=2000))
log_processor = dict(window_size=50, by_epoch=False)

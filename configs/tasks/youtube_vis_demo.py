# Single-task training of the video instance segmentation model on the demo YouTube-VIS set
# (CPU, minutes): mmdet's Mask2FormerVideo at toy width (ResNet-18 with 16 base channels,
# 64-wide pixel and transformer decoders, 20 queries). Real Mask2Former-VIS starts from a
# COCO checkpoint; here BackboneInstancePretrainHook first fits the backbone to name the
# digit under each mask of the demo's separate pretraining scenes (pretrain.json), then the
# backbone stays frozen and the pixel and transformer decoders train. Its checkpoint is the
# frozen VIS model of the DLM runs (plugin VideoInstanceSegmentationTask).
#   python -m tasks_segmentation.demo.youtube_vis --root data/demo
#   python tools/train.py configs/tasks/youtube_vis_demo.py
#   python tools/test.py configs/tasks/youtube_vis_demo.py work_dirs/youtube_vis_demo/epoch_N.pth
_base_ = ['../_base_/demo_runtime.py', '../_base_/models/mask2former_vis.py']

classes = ('0', '1', '2', '3', '4', '5', '6', '7', '8', '9')  # the digit; category id digit+1
num_classes = len(classes)
num_frames = 2  # frames per training clip (the key frame and one reference frame)
dims = 64

model = dict(
    backbone=dict(
        depth=18,
        base_channels=16,
        frozen_stages=4,  # pretrained by the hook below, then frozen with its statistics
        norm_cfg=dict(requires_grad=True),
    ),
    track_head=dict(
        in_channels=[16, 32, 64, 128],
        feat_channels=dims,
        out_channels=dims,
        num_classes=num_classes,
        num_queries=20,
        num_frames=num_frames,
        pixel_decoder=dict(
            norm_cfg=dict(num_groups=8),
            encoder=dict(
                num_layers=2,
                layer_cfg=dict(
                    self_attn_cfg=dict(embed_dims=dims, num_heads=4),
                    ffn_cfg=dict(embed_dims=dims, feedforward_channels=4 * dims),
                ),
            ),
            positional_encoding=dict(num_feats=dims // 2),
        ),
        positional_encoding=dict(num_feats=dims // 2),
        transformer_decoder=dict(
            num_layers=6,
            layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=dims, num_heads=4),
                cross_attn_cfg=dict(embed_dims=dims, num_heads=4),
                ffn_cfg=dict(embed_dims=dims, feedforward_channels=4 * dims),
            ),
        ),
        loss_cls=dict(class_weight=[1.0] * num_classes + [0.1]),
        # a 96x96 frame has 9,216 pixels (mmdet's 12,544 is for 360p)
        train_cfg=dict(num_points=1024),
    ),
)

dataset_type = 'YouTubeVISJsonDataset'
data_root = 'data/demo/youtube_vis'
metainfo = dict(classes=classes)

# no flip: a mirrored digit is another glyph; frames are already 96x96
train_pipeline = [
    dict(
        type='UniformRefFrameSample',
        num_ref_imgs=num_frames - 1,
        frame_range=3,
        filter_key_img=True,
    ),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadTrackAnnotations', with_mask=True),
        ],
    ),
    dict(type='PackTrackInputs'),
]
# every frame of the video, loaded as in training
test_pipeline = [
    dict(type='TransformBroadcaster', transforms=train_pipeline[1]['transforms']),
    train_pipeline[-1],
]

train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='TrackAspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        num_classes=num_classes,  # the head's: the dataset checks the classes against it
        ann_file='train.json',
        data_prefix=dict(img_path='train/JPEGImages'),
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    batch_size=1,  # Mask2FormerVideo predicts one whole video at a time
    num_workers=0,
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

# video AP, AP50, AP75 (IoU summed over the frames of a track), mmdet's YouTube-VIS evaluator
val_evaluator = dict(type='RepeatableYouTubeVISMetric', metric='youtube_vis_ap')
test_evaluator = val_evaluator

max_epochs = 12
train_cfg = dict(max_epochs=max_epochs, val_begin=max_epochs, val_interval=1)

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=0.05, eps=1e-8),
    paramwise_cfg=dict(
        custom_keys=dict(
            query_embed=dict(decay_mult=0.0),
            query_feat=dict(decay_mult=0.0),
            level_embed=dict(decay_mult=0.0),
        ),
        norm_decay_mult=0.0,
    ),
    clip_grad=dict(max_norm=1.0, norm_type=2),
)
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], T_max=max_epochs - 1, end=max_epochs),
]

# the stand-in for a COCO checkpoint (200 training videos hold too few handwritten digits to
# learn the class from: without it, class right on 10 % of the localised tracks, chance)
custom_hooks = [
    dict(
        type='BackboneInstancePretrainHook',
        ann_file=f'{data_root}/pretrain.json',
        img_prefix=f'{data_root}/pretrain/JPEGImages',
        levels=(2, 3),  # strides 16 and 32
        iters=2500,
    )
]

default_hooks = dict(
    checkpoint=dict(interval=max_epochs, max_keep_ckpts=1),
)

# Single-task training of the video object detector on the demo ImageNet VID set (CPU,
# minutes): mmdet's Deformable DETR (box refinement) at toy width per frame, plus a temporal
# stage that fuses the object queries of two neighbouring frames (TemporalQueryDETR,
# TransVOD's idea), trained end to end from scratch. Its checkpoint is the frozen VOD model of
# the DLM runs (plugin VideoObjectDetectionTask).
#   python -m tasks_detection.demo.imagenet_vid --root data/demo
#   python tools/train.py configs/tasks/imagenet_vid_demo.py
#   python tools/test.py configs/tasks/imagenet_vid_demo.py work_dirs/imagenet_vid_demo/epoch_N.pth
# The per-frame detector alone (same checkpoint, no temporal stage):
#   python tools/test.py ... --cfg-options model.use_temporal=False
_base_ = ['../_base_/demo_runtime.py', '../_base_/models/temporal_query_detr.py']

classes = ('0', '1', '2', '3', '4', '5', '6', '7', '8', '9')  # the digit; category id digit+1
num_ref_frames = 2  # reference frames fused with each key frame
dims = 64

model = dict(
    detector=dict(
        num_queries=20,
        num_feature_levels=3,
        backbone=dict(
            depth=18,
            base_channels=16,
            out_indices=(0, 1, 2),  # strides 4, 8, 16: 16x16, 8x8, 4x4 maps of a 64x64 frame
            frozen_stages=-1,
            norm_cfg=dict(requires_grad=True),
            norm_eval=False,
        ),
        neck=dict(
            in_channels=[16, 32, 64], out_channels=dims, norm_cfg=dict(num_groups=8), num_outs=3
        ),
        encoder=dict(
            num_layers=2,
            layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=dims, num_levels=3, num_heads=4),
                ffn_cfg=dict(embed_dims=dims, feedforward_channels=2 * dims, ffn_drop=0.0),
            ),
        ),
        decoder=dict(
            num_layers=4,
            layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=dims, num_heads=4, dropout=0.0),
                cross_attn_cfg=dict(embed_dims=dims, num_levels=3, num_heads=4),
                ffn_cfg=dict(embed_dims=dims, feedforward_channels=2 * dims, ffn_drop=0.0),
            ),
        ),
        positional_encoding=dict(num_feats=dims // 2),
        bbox_head=dict(num_classes=len(classes), embed_dims=dims),
        test_cfg=dict(max_per_img=20),
    ),
)

dataset_type = 'ImagenetVIDDataset'
data_root = 'data/demo/imagenet_vid'
metainfo = dict(classes=classes)

# no flip: a mirrored digit is another glyph; frames are already 64x64, the resize only
# records the scale factor that the head's rescaling to the original frame needs
load_frames = dict(
    type='TransformBroadcaster',
    share_random_params=True,
    transforms=[
        dict(type='LoadImageFromFile'),
        dict(type='LoadTrackAnnotations'),
        dict(type='Resize', scale=(64, 64), keep_ratio=True),
    ],
)
train_pipeline = [
    dict(
        type='UniformRefFrameSample',
        num_ref_imgs=num_ref_frames,
        frame_range=2,
        filter_key_img=True,
    ),
    load_frames,
    dict(type='PackTrackInputs'),
]
test_pipeline = [
    dict(type='NeighbourRefFrameSample', num_ref_imgs=num_ref_frames, frame_range=2),
    load_frames,
    dict(type='PackTrackInputs'),
]

train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    sampler=dict(type='TrackImgSampler'),  # every frame a key frame once an epoch, shuffled
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        num_classes=len(classes),  # the head's: the dataset checks the classes against it
        ann_file='annotations/imagenet_vid_train.json',
        data_prefix=dict(img_path='Data/VID'),
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    train_dataloader,
    drop_last=False,
    sampler=dict(type='TrackImgSampler'),  # every frame once, in order
    dataset=dict(
        train_dataloader['dataset'],
        ann_file='annotations/imagenet_vid_val.json',
        test_mode=True,
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader

# COCO bbox AP (bbox_mAP_50 is ImageNet VID's AP50) with pycocotools, per key frame: mmdet's
# CocoVideoMetric, able to write AP50 on bootstrap resamples of the videos (replicates_file)
val_evaluator = dict(
    type='CocoVideoMetricWithResamples',
    metric='bbox',
    ann_file=f'{data_root}/annotations/imagenet_vid_val.json',
)
test_evaluator = val_evaluator

max_epochs = 8
train_cfg = dict(max_epochs=max_epochs, val_begin=max_epochs, val_interval=1)

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=0.1, norm_type=2),
    paramwise_cfg=dict(
        custom_keys=dict(
            sampling_offsets=dict(lr_mult=0.1),
            reference_points=dict(lr_mult=0.1),
        )
    ),
)
param_scheduler = [
    _base_.param_scheduler[0],
    dict(type='MultiStepLR', by_epoch=True, milestones=[max_epochs - 1], gamma=0.1),
]

default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=max_epochs, max_keep_ckpts=1),
)

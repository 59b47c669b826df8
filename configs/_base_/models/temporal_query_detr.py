# The video object detector of configs/tasks/imagenet_vid_demo.py and
# configs/tasks/real/transvod_r50_imagenet_vid.py: mmdet's Deformable DETR (box refinement) on
# a ResNet per frame, plus the temporal stage that fuses the object queries of the key frame
# and its reference frames (TemporalQueryDETR, TransVOD's idea). Only what both sizes share:
# each config sets the ResNet, the neck's levels, the widths, heads and layer counts of the
# encoder and decoder, the number of queries and classes.
# the package that registers the model's types (and its datasets, transforms and metrics)
default_scope = 'tasks_detection'
custom_imports = dict(imports=['tasks_detection'], allow_failed_imports=False)

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
        with_box_refine=True,
        as_two_stage=False,
        backbone=dict(type='ResNet', num_stages=4, norm_cfg=dict(type='BN'), style='pytorch'),
        neck=dict(type='ChannelMapper', kernel_size=1, act_cfg=None, norm_cfg=dict(type='GN')),
        encoder=dict(layer_cfg=dict(self_attn_cfg=dict(batch_first=True))),
        decoder=dict(
            return_intermediate=True,
            layer_cfg=dict(
                self_attn_cfg=dict(batch_first=True), cross_attn_cfg=dict(batch_first=True)
            ),
            post_norm_cfg=None,
        ),
        positional_encoding=dict(normalize=True, offset=-0.5),
        bbox_head=dict(
            type='DeformableDETRHead',
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
    ),
)

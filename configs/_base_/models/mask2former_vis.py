# The video instance segmentation model of configs/tasks/youtube_vis_demo.py and
# configs/tasks/real/mask2former_r50_youtube_vis.py: mmdet's Mask2FormerVideo (a ResNet, the
# MSDeformAttn pixel decoder and the masked-attention transformer decoder), as mmdet's
# mask2former_vis configs build it. Only what both sizes share: each config sets the ResNet
# (depth, stages it freezes, BN), the widths, heads and layer counts of the decoders, the
# number of classes, queries, frames and training points.
# the package that registers the model's types (and its datasets, transforms and metrics)
default_scope = 'tasks_segmentation'
custom_imports = dict(imports=['tasks_segmentation'], allow_failed_imports=False)

model = dict(
    type='Mask2FormerVideo',
    data_preprocessor=dict(
        type='TrackDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_mask=True,
        pad_size_divisor=32,
    ),
    backbone=dict(
        type='ResNet',
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        norm_cfg=dict(type='BN'),
        norm_eval=True,
        style='pytorch',
    ),
    track_head=dict(
        type='Mask2FormerTrackHead',
        strides=[4, 8, 16, 32],
        num_transformer_feat_level=3,
        pixel_decoder=dict(
            type='MSDeformAttnPixelDecoder',
            num_outs=3,
            norm_cfg=dict(type='GN'),
            act_cfg=dict(type='ReLU'),
            encoder=dict(
                layer_cfg=dict(
                    self_attn_cfg=dict(
                        num_levels=3, num_points=4, im2col_step=128, dropout=0.0, batch_first=True
                    ),
                    ffn_cfg=dict(num_fcs=2, ffn_drop=0.0, act_cfg=dict(type='ReLU', inplace=True)),
                ),
            ),
            positional_encoding=dict(normalize=True),
        ),
        enforce_decoder_input_project=False,
        positional_encoding=dict(type='SinePositionalEncoding3D', normalize=True),
        transformer_decoder=dict(
            return_intermediate=True,
            layer_cfg=dict(
                self_attn_cfg=dict(dropout=0.0, batch_first=True),
                cross_attn_cfg=dict(dropout=0.0, batch_first=True),
                ffn_cfg=dict(num_fcs=2, ffn_drop=0.0, act_cfg=dict(type='ReLU', inplace=True)),
            ),
            init_cfg=None,
        ),
        loss_cls=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=2.0, reduction='mean'
        ),
        loss_mask=dict(
            type='CrossEntropyLoss', use_sigmoid=True, reduction='mean', loss_weight=5.0
        ),
        loss_dice=dict(
            type='DiceLoss',
            use_sigmoid=True,
            activate=True,
            reduction='mean',
            naive_dice=True,
            eps=1.0,
            loss_weight=5.0,
        ),
        train_cfg=dict(
            oversample_ratio=3.0,
            importance_sample_ratio=0.75,
            assigner=dict(
                type='HungarianAssigner',
                match_costs=[
                    dict(type='ClassificationCost', weight=2.0),
                    dict(type='CrossEntropyLossCost', weight=5.0, use_sigmoid=True),
                    dict(type='DiceCost', weight=5.0, pred_act=True, eps=1.0),
                ],
            ),
            sampler=dict(type='MaskPseudoSampler'),
        ),
    ),
)

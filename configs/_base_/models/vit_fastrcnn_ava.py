# The spatio-temporal action detector of configs/tasks/ava_demo.py and
# configs/tasks/real/vit_b_ava.py: mmdet's FastRCNN with mmaction2's VisionTransformer backbone
# (feature map out) and AVARoIHead, as mmaction2's VideoMAE AVA configs build it. Only what
# both sizes share: each config sets the ViT's size (img_size, embed_dims, depth, num_heads,
# mlp_ratio, num_frames, drop_path_rate), the RoI output size and the head's in_channels and
# num_classes.
# the package that registers the model's types (and its datasets, transforms and metrics)
default_scope = 'tasks_detection'
custom_imports = dict(imports=['tasks_detection'], allow_failed_imports=False)

model = dict(
    type='FastRCNN',
    _scope_='mmdet',
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        _scope_='mmaction',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        format_shape='NCTHW',
    ),
    backbone=dict(
        type='mmaction.VisionTransformer',
        patch_size=16,
        qkv_bias=True,
        norm_cfg=dict(type='LN', eps=1e-6),
        use_mean_pooling=False,
        return_feat_map=True,
    ),
    roi_head=dict(
        type='AVARoIHead',
        bbox_roi_extractor=dict(
            type='SingleRoIExtractor3D', roi_layer_type='RoIAlign', with_temporal_pool=True
        ),
        bbox_head=dict(
            type='BBoxHeadAVA', background_class=True, multilabel=True, dropout_ratio=0.5
        ),
    ),
    train_cfg=dict(
        rcnn=dict(
            assigner=dict(
                type='MaxIoUAssignerAVA', pos_iou_thr=0.9, neg_iou_thr=0.9, min_pos_iou=0.9
            ),
            sampler=dict(
                type='RandomSampler',
                num=32,
                pos_fraction=1,
                neg_pos_ub=-1,
                add_gt_as_proposals=True,
            ),
            pos_weight=1.0,
        )
    ),
    test_cfg=dict(rcnn=None),
)

# The action recognizer of configs/tasks/ssv2_demo.py and configs/tasks/real/vit_b_ssv2.py
# (and of the configs built on them): mmaction2's Recognizer3D with a VideoMAE-geometry
# VisionTransformer (tubelet 2, mean pooling) and TimeSformerHead. Only what both sizes
# share: each config sets the backbone's type and size (img_size, patch_size, embed_dims,
# depth, num_heads, mlp_ratio, num_frames) and the head's in_channels and num_classes.
# the package that registers the model's types (and its datasets, transforms and metrics)
default_scope = 'tasks_recognition'
custom_imports = dict(imports=['tasks_recognition'], allow_failed_imports=False)

model = dict(
    type='Recognizer3D',
    backbone=dict(
        qkv_bias=True, tubelet_size=2, norm_cfg=dict(type='LN', eps=1e-6), use_mean_pooling=True
    ),
    cls_head=dict(type='TimeSformerHead', average_clips='prob'),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        format_shape='NCTHW',
    ),
)

# Temporal action detection on THUMOS14 (the paper's temporal detection task): the
# ActionFormer-style detector (6 full-resolution transformer layers, the part DLM taps and
# prompts, then a 6-level pyramid with ActionFormer's regression ranges, focal + DIoU losses,
# Soft-NMS) over VideoMAE ViT-B/16 snippet features (768-d, 16 frames every 4, as the paper
# extracts them). Data in ActionFormer's layout:
#   data/thumos14/annotations/thumos14.json, data/thumos14/features/<video_id>.npy (T, 768)
# Train on the validation videos, test on the test videos (ActionFormer's protocol).
_base_ = [
    '../../_base_/default_runtime.py',
    '../../_base_/models/temporal_action_detector.py',
    '../../_base_/optimizers/adamw_no_norm_decay.py',
]

data_root = 'data/thumos14'
ann_file = f'{data_root}/annotations/thumos14.json'
# THUMOS14's 20 detection classes in the order of ActionFormer's label_id (alphabetical):
# the dataset reads them from here, never from the json's labels
classes = (
    'BaseballPitch', 'BasketballDunk', 'Billiards', 'CleanAndJerk', 'CliffDiving',
    'CricketBowling', 'CricketShot', 'Diving', 'FrisbeeCatch', 'GolfSwing', 'HammerThrow',
    'HighJump', 'JavelinThrow', 'LongJump', 'PoleVault', 'Shotput', 'SoccerPenalty',
    'TennisSwing', 'ThrowDiscus', 'VolleyballSpiking',
)  # fmt: skip
num_classes = len(classes)
feat_channels = 768  # VideoMAE ViT-B/16
feat_stride, num_frames = 4, 16
num_levels = 6
max_seq_len = 2304

model = dict(
    in_channels=feat_channels,
    num_classes=num_classes,
    embed_dims=512,
    num_layers=6,
    num_heads=8,
    mlp_ratio=4,
    num_levels=num_levels,
    regression_ranges=[(0, 4), (4, 8), (8, 16), (16, 32), (32, 64), (64, 10000)],
    data_preprocessor=dict(pad_multiple=2 ** (num_levels - 1)),
    test_cfg=dict(
        pre_nms_topk=2000, min_duration=0.05, nms=dict(iou_threshold=0.1, max_segments=200)
    ),
)

# How this model sees another task's frames when it is an auxiliary of a DLM run: the
# same ViT-B slid over 16-frame snippets every 4 frames (use with
# dict(type='tasks_detection.TemporalDetectionTask', model=model, feature_extractor=...)).
videomae_vit_b = (
    'https://download.openmmlab.com/mmaction/v1.0/recognition/videomae/'
    'vit-base-p16_videomae-k400-pre_16x4x1_kinetics-400_20221013-860a3cd3.pth'
)
feature_extractor = dict(
    type='ClipBackboneExtractor',
    backbone=dict(
        type='mmaction.VisionTransformer',
        img_size=224,
        patch_size=16,
        embed_dims=768,
        depth=12,
        num_heads=12,
        mlp_ratio=4,
        qkv_bias=True,
        num_frames=num_frames,
        norm_cfg=dict(type='LN', eps=1e-6),
        use_mean_pooling=True,
    ),
    snippet_len=num_frames,
    stride=feat_stride,
    img_size=224,
    checkpoint=videomae_vit_b,
)

train_pipeline = [
    dict(type='LoadSnippetFeatures'),
    dict(
        type='RandomTruncateFeatures',
        max_seq_len=max_seq_len,
        trunc_thresh=0.5,
        crop_ratio=(0.9, 1.0),
    ),
    dict(type='PackTemporalDetectionInputs'),
]
test_pipeline = [dict(type='LoadSnippetFeatures'), dict(type='PackTemporalDetectionInputs')]
dataset = dict(
    type='Thumos14Dataset',
    ann_file=ann_file,
    metainfo=dict(classes=classes),
    num_classes=num_classes,
    data_prefix=dict(feat=f'{data_root}/features'),
    feat_stride=feat_stride,
    num_frames=num_frames,
)
train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(dataset, subset='Validation', pipeline=train_pipeline),
)
val_dataloader = dict(
    train_dataloader,
    batch_size=1,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(dataset, subset='Test', pipeline=test_pipeline, test_mode=True),
)
test_dataloader = val_dataloader

val_evaluator = dict(type='TemporalDetectionMAP', ann_file=ann_file, subset='Test')
test_evaluator = val_evaluator

max_epochs = 35
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_begin=20, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(optimizer=dict(lr=1e-4), clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True,
    ),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - 5,
        eta_min=1e-8,
        by_epoch=True,
        begin=5,
        end=max_epochs,
        convert_to_iter_based=True,
    ),
]

default_hooks = dict(
    checkpoint=dict(interval=5, max_keep_ckpts=2, save_best='mAP', rule='greater'),
)

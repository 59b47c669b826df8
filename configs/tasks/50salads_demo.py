# Single-task training of ASFormer on the demo 50Salads set (CPU, 1-2 minutes): the paper's
# width (64) with 6 blocks per stage and 2 decoders, on the demo's 64-d snippet features
# read every 2nd frame as ASFormer reads 50Salads. Its checkpoint is the frozen action
# segmentation model of the DLM runs (ActionSegmentationTask).
#   python -m tasks_segmentation.demo.action_segmentation --root data/demo
#   python tools/train.py configs/tasks/50salads_demo.py
#   python tools/test.py configs/tasks/50salads_demo.py work_dirs/50salads_demo/epoch_60.pth
# (validation runs on the test split every 10 epochs for monitoring only; no checkpoint is
# chosen by it)
_base_ = ['../_base_/default_runtime.py']

default_scope = 'tasks_segmentation'
custom_imports = dict(imports=['tasks_segmentation'], allow_failed_imports=False)

split = 1
sample_rate = 2
num_classes = 18  # 17 actions + background (data/demo/50salads/mapping.txt)
feature_dim = 64  # SnippetFeatureExtractor().out_channels
# the extractor that made the demo features (tasks_segmentation.demo): what
# tools/extract_features.py runs on new videos for this model
feature_extractor = dict(type='SnippetFeatureExtractor')

model = dict(
    type='ActionSegmentor',
    backbone=dict(
        type='ASFormer',
        in_channels=feature_dim,
        num_classes=num_classes,
        embed_dims=64,
        num_layers=6,
        num_decoders=2,
        qk_ratio=2,
        v_ratio=2,
        channel_dropout=0.3,
        dropout=0.5,
    ),
    loss=dict(type='ActionSegmentationLoss', smooth_weight=0.15),
    data_preprocessor=dict(type='ActionSegDataPreprocessor'),
)

dataset_type = 'ActionSegmentationDataset'
data_root = 'data/demo/50salads'
train_pipeline = [
    dict(type='LoadSegmentationFeatures'),
    dict(type='PackSegmentationInputs'),
]
test_pipeline = train_pipeline
# What a DLM run with this task as the primary uses: the features plus a clip of the
# video's frames, which the auxiliary models see (set data_prefix.video='videos').
frames_pipeline = [
    dict(type='LoadSegmentationFeatures'),
    dict(type='mmaction.DecordInit'),
    dict(type='mmaction.UniformSample', clip_len=16, test_mode=True),
    dict(type='mmaction.DecordDecode'),
    dict(type='PackSegmentationInputs'),
]

train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=f'splits/train.split{split}.bundle',
        sample_rate=sample_rate,
        num_classes=num_classes,  # the head's: mapping.txt must name as many classes
        fps=30,
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    train_dataloader,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        train_dataloader['dataset'],
        ann_file=f'splits/test.split{split}.bundle',
        pipeline=test_pipeline,
        test_mode=True,
    ),
)
test_dataloader = val_dataloader

val_evaluator = dict(type='ActionSegmentationMetric', bg_classes=('background',))
test_evaluator = val_evaluator

max_epochs = 60
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_begin=10, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(optimizer=dict(type='Adam', lr=2e-3, weight_decay=1e-5))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5, by_epoch=True),
]

default_hooks = dict(
    logger=dict(interval=4),
    checkpoint=dict(interval=10, max_keep_ckpts=1),
)

# ASFormer as the paper trains it (Yi et al., BMVC 2021) on a dataset of the MS-TCN layout:
# 2048-d I3D features, 64 feature maps, 10 blocks per stage, 3 decoders, r1 = r2 = 2,
# channel masking 0.3, Adam (lr 5e-4, weight decay 1e-5), batch size 1, 120 epochs, the
# rate halved when the epoch's training loss stalls for 3 epochs. Dataset configs (see
# configs/tasks/real/asformer_*.py) set data_root, the classes, the sample rate and the
# dataset-specific changes (GTEA: channel masking 0.5; Breakfast: lr 1e-4).
default_scope = 'tasks_segmentation'
custom_imports = dict(imports=['tasks_segmentation'], allow_failed_imports=False)

split = 1
model = dict(
    type='ActionSegmentor',
    backbone=dict(
        type='ASFormer',
        in_channels=2048,
        num_classes=19,
        embed_dims=64,
        num_layers=10,
        num_decoders=3,
        qk_ratio=2,
        v_ratio=2,
        channel_dropout=0.3,
        dropout=0.5,
        decoder_alpha_decay=3.0,
    ),
    loss=dict(type='ActionSegmentationLoss', smooth_weight=0.15, smooth_clamp=16.0),
    data_preprocessor=dict(type='ActionSegDataPreprocessor'),
)

pipeline = [dict(type='LoadSegmentationFeatures'), dict(type='PackSegmentationInputs')]
dataset = dict(
    type='ActionSegmentationDataset',
    data_root='data/50salads',
    ann_file=f'splits/train.split{split}.bundle',
    data_prefix=dict(features='features', gt='groundTruth'),
    mapping_file='mapping.txt',
    sample_rate=1,
    fps=15,
    pipeline=pipeline,
)
train_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dataset,
)
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(dataset, ann_file=f'splits/test.split{split}.bundle', test_mode=True),
)
test_dataloader = val_dataloader
val_evaluator = dict(type='ActionSegmentationMetric', bg_classes=('background',))
test_evaluator = val_evaluator

max_epochs = 120
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_begin=10, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(optimizer=dict(type='Adam', lr=5e-4, weight_decay=1e-5))
param_scheduler = []
custom_hooks = [dict(type='EpochLossPlateauHook', factor=0.5, patience=3)]

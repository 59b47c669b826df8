# Single-task training of the temporal action detector on the demo THUMOS14 set (CPU,
# minutes): an ActionFormer-style detector over the demo's snippet features, trained end to
# end. Its checkpoint is the frozen temporal-detection model of the DLM runs.
#   python -m tasks_detection.demo.thumos14 --root data/demo
#   python tools/train.py configs/tasks/thumos14_demo.py
#   python tools/test.py configs/tasks/thumos14_demo.py work_dirs/thumos14_demo/epoch_N.pth
_base_ = [
    '../_base_/demo_runtime.py',
    '../_base_/models/temporal_action_detector.py',
    '../_base_/optimizers/adamw_no_norm_decay.py',
]

data_root = 'data/demo/thumos14'
ann_file = f'{data_root}/annotations/thumos14.json'
# the demo's classes (tasks_detection.demo.thumos14.CLASSES), in the head's order: the
# dataset reads them from here, never from the json's labels
classes = (
    'MoveLeft', 'MoveRight', 'MoveUp', 'MoveDown',
    'Grow', 'Shrink', 'TurnClockwise', 'TurnCounterClockwise',
)  # fmt: skip
num_classes = len(classes)
feat_channels = 128  # the demo's GridMotionExtractor
feat_stride, num_frames = 2, 4  # frames between snippets, frames per snippet (10 fps)
# the extractor that made the demo features (tasks_detection.demo.thumos14): what
# tools/extract_features.py runs on new videos for this model
feature_extractor = dict(
    type='GridMotionExtractor', snippet_len=num_frames, stride=feat_stride, out_channels=128
)
num_levels = 4

model = dict(
    in_channels=feat_channels,
    num_classes=num_classes,
    embed_dims=64,
    num_layers=4,
    num_heads=4,
    mlp_ratio=2,
    num_levels=num_levels,
    regression_ranges=[(0, 4), (4, 8), (8, 16), (16, 10000)],
    data_preprocessor=dict(pad_multiple=2 ** (num_levels - 1)),
    test_cfg=dict(pre_nms_topk=1000, nms=dict(max_segments=100)),
)

# A DLM run whose auxiliaries are video models also loads one frame per snippet, so that
# they can see these untrimmed videos: add dict(type='LoadSnippetFrames', size=64) after
# LoadSnippetFeatures and data_prefix=dict(feat=..., video=f'{data_root}/videos').
train_pipeline = [
    dict(type='LoadSnippetFeatures'),
    dict(type='RandomTruncateFeatures', max_seq_len=128, trunc_thresh=0.5, crop_ratio=(0.9, 1.0)),
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
    batch_size=4,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(dataset, subset='Validation', pipeline=train_pipeline),
)
val_dataloader = dict(
    train_dataloader,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(dataset, subset='Test', pipeline=test_pipeline, test_mode=True),
)
test_dataloader = val_dataloader

val_evaluator = dict(type='TemporalDetectionMAP', ann_file=ann_file, subset='Test')
test_evaluator = val_evaluator

# 90 epochs: at 30 the validation mAP of the benchmark's runs was still climbing
# in its last points (seed 0: 54.6, 59.0, 61.1, 63.0), so the model had not plateaued
max_epochs = 90
train_cfg = dict(max_epochs=max_epochs, val_begin=30, val_interval=30)

optim_wrapper = dict(optimizer=dict(lr=1e-3), clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(_base_.param_scheduler[0], end=2),
    dict(_base_.param_scheduler[1], T_max=max_epochs - 2, begin=2, end=max_epochs),
]

default_hooks = dict(
    checkpoint=dict(interval=10, max_keep_ckpts=1, save_best='mAP', rule='greater'),
)

# Action recognition on UCF101 (split 1), the paper's zero-shot set for SSv2 prompts: the
# ViT-B/16 VideoMAE V2 recognizer of vit_b_ssv2.py with UCF101's data and 101 classes.
# Data as mmaction2's tools/data/ucf101 prepare it:
#   data/ucf101/videos/<Class>/v_<Class>_gXX_cYY.avi,
#   data/ucf101/ucf101_{train,val}_split_{1,2,3}_videos.txt
_base_ = ['vit_b_ssv2.py']

num_classes = 101
split = 1
data_root = 'data/ucf101'
video_root = f'{data_root}/videos'
ann_file_train = f'{data_root}/ucf101_train_split_{split}_videos.txt'
ann_file_val = f'{data_root}/ucf101_val_split_{split}_videos.txt'
clip_len = 16
img_size = 224
meta_keys = ('img_shape', 'avg_fps', 'frame_interval')

model = dict(cls_head=dict(num_classes=num_classes))

# dense 16x4 clips as for Kinetics (UCF101 classes are mostly appearance: flips are fine)
train_pipeline = [
    dict(type='FrameAccurateInit'),
    dict(type='SampleFrames', clip_len=clip_len, frame_interval=4, num_clips=1),
    dict(type='FrameAccurateDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='RandomResizedCrop'),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', meta_keys=meta_keys),
]
# vit_b_ssv2.py's validation and test steps after this sampling (test: 5 clips)
val_pipeline = [
    train_pipeline[0],
    dict(train_pipeline[1], test_mode=True),
    *_base_.val_pipeline[2:],
]
test_pipeline = [*val_pipeline[:1], dict(val_pipeline[1], num_clips=5), *_base_.test_pipeline[2:]]

dataset_common = dict(num_classes=num_classes, data_prefix=dict(video=video_root))
train_dataloader = dict(
    dataset=dict(dataset_common, ann_file=ann_file_train, pipeline=train_pipeline)
)
val_dataloader = dict(dataset=dict(dataset_common, ann_file=ann_file_val, pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(dataset_common, ann_file=ann_file_val, pipeline=test_pipeline))

max_epochs = 50
train_cfg = dict(max_epochs=max_epochs)
# vit_b_ssv2.py's warm-up and cosine decay, over these epochs
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], T_max=max_epochs - _base_.warmup_epochs, end=max_epochs),
]
optim_wrapper = dict(optimizer=dict(lr=1e-3))

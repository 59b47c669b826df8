# Action recognition on HMDB51 (split 1), the paper's second zero-shot set for SSv2
# prompts: the ViT-B/16 VideoMAE V2 recognizer with HMDB51's data and 51 classes.
# Data as mmaction2's tools/data/hmdb51 prepare it:
#   data/hmdb51/videos/<class>/<name>.avi,
#   data/hmdb51/hmdb51_{train,val}_split_{1,2,3}_videos.txt
_base_ = ['vit_b_ucf101.py']

num_classes = 51
split = 1
data_root = 'data/hmdb51'
video_root = f'{data_root}/videos'
ann_file_train = f'{data_root}/hmdb51_train_split_{split}_videos.txt'
ann_file_val = f'{data_root}/hmdb51_val_split_{split}_videos.txt'

model = dict(cls_head=dict(num_classes=num_classes))

dataset_common = dict(num_classes=num_classes, data_prefix=dict(video=video_root))
train_dataloader = dict(dataset=dict(dataset_common, ann_file=ann_file_train))
val_dataloader = dict(dataset=dict(dataset_common, ann_file=ann_file_val))
test_dataloader = dict(dataset=dict(dataset_common, ann_file=ann_file_val))

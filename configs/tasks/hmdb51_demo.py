# Single-task training of the recognizer on the held-out demo HMDB51 set (split 1): the
# model whose prompts-free accuracy is the "Original" row of the zero-shot study, where
# prompts trained with the SSv2 demo primary are loaded into it (same ViT geometry).
#   python tools/train.py configs/tasks/hmdb51_demo.py
_base_ = ['ssv2_demo.py']

num_classes = 5
data_root = 'data/demo/hmdb51'
split = 1

model = dict(cls_head=dict(num_classes=num_classes))
dataset_common = dict(data_prefix=dict(video=f'{data_root}/videos'), num_classes=num_classes)
train_dataloader = dict(
    dataset=dict(dataset_common, ann_file=f'{data_root}/hmdb51_train_split_{split}_videos.txt')
)
val_dataloader = dict(
    dataset=dict(dataset_common, ann_file=f'{data_root}/hmdb51_val_split_{split}_videos.txt')
)
test_dataloader = val_dataloader

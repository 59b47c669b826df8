# ASFormer on 50Salads (MS-TCN layout, I3D features every 2nd frame of 30 fps video;
# 5 splits, 19 classes). Get the data of MS-TCN (features, groundTruth, mapping.txt,
# splits) into data/50salads, then
#   python tools/train.py configs/tasks/real/asformer_50salads.py
#   python tools/test.py configs/tasks/real/asformer_50salads.py \
#       work_dirs/asformer_50salads/epoch_120.pth
# Another split k: --cfg-options train_dataloader.dataset.ann_file=splits/train.splitk.bundle
#   val_dataloader.dataset.ann_file=splits/test.splitk.bundle (test likewise).
_base_ = ['../../_base_/asformer_ms_tcn.py']

data_root = 'data/50salads'
# num_classes: the head's, which mapping.txt must count
dataset = dict(data_root=data_root, sample_rate=2, fps=30, num_classes=19)
model = dict(backbone=dict(num_classes=19))
train_dataloader = val_dataloader = test_dataloader = dict(dataset=dataset)

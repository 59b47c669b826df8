# ASFormer on Breakfast (MS-TCN layout, I3D features at 15 fps; 4 splits, 48 classes;
# the paper lowers the learning rate to 1e-4). Data into data/breakfast, then
#   python tools/train.py configs/tasks/real/asformer_breakfast.py
_base_ = ['../../_base_/asformer_ms_tcn.py']

data_root = 'data/breakfast'
# num_classes: the head's, which mapping.txt must count
dataset = dict(data_root=data_root, sample_rate=1, fps=15, num_classes=48)
model = dict(backbone=dict(num_classes=48))
train_dataloader = val_dataloader = test_dataloader = dict(dataset=dataset)
optim_wrapper = dict(optimizer=dict(lr=1e-4))

# ASFormer on GTEA (MS-TCN layout, I3D features at 15 fps; 4 splits, 11 classes; the
# paper raises channel masking to 0.5 against over-fitting). Data into data/gtea, then
#   python tools/train.py configs/tasks/real/asformer_gtea.py
_base_ = ['../../_base_/asformer_ms_tcn.py']

data_root = 'data/gtea'
# num_classes: the head's, which mapping.txt must count
dataset = dict(data_root=data_root, sample_rate=1, fps=15, num_classes=11)
model = dict(backbone=dict(num_classes=11, channel_dropout=0.5))
train_dataloader = val_dataloader = test_dataloader = dict(dataset=dataset)

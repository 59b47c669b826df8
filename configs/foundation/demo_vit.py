# The demo's foundation stage, the stand-in for the paper's shared VideoMAE V2 ViT-B: the
# demo ViT of the recognition models (configs/tasks/ssv2_demo.py's backbone, unchanged)
# pretrained on the foundation pool, a separate set of moving-digit clips that no demo split
# contains, supervised on the generator's latent labels: the motion and the digit of each
# clip (a cross-entropy each). The ViT task models fine-tune from what it writes
# (configs/tasks/*_foundation.py):
#   python -m tasks_recognition.demo.foundation_pool --root data/demo
#   python tools/train.py configs/foundation/demo_vit.py
# -> work_dirs/demo_vit/backbone.pth (recognition geometry) and backbone_patch16.pth (AVA's)
_base_ = ['../tasks/ssv2_demo.py']

# custom_imports (tasks_recognition) comes with the base: LatentFactorHead and
# ExportFoundationBackboneHook are found through the package's registry locations
num_motions, num_digits = 11, 10  # dlm_core.demo.MOTIONS, the digits 0-9
num_classes = num_motions * num_digits  # tasks_recognition.demo.foundation_pool.NUM_CLASSES
data_root = 'data/demo/foundation'

# one softmax per latent factor (a single 110-way softmax stays at chance on this budget)
model = dict(
    cls_head=dict(
        _delete_=True,
        type='LatentFactorHead',
        num_motions=num_motions,
        num_digits=num_digits,
        in_channels=96,
        average_clips='prob',
    )
)
dataset_common = dict(data_prefix=dict(video=f'{data_root}/videos'), num_classes=num_classes)
train_dataloader = dict(
    dataset=dict(dataset_common, ann_file=f'{data_root}/foundation_train_list_videos.txt')
)
val_dataloader = dict(
    dataset=dict(dataset_common, ann_file=f'{data_root}/foundation_val_list_videos.txt')
)
test_dataloader = val_dataloader

max_epochs = 10
train_cfg = dict(max_epochs=max_epochs, val_begin=1, val_interval=1)
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], T_max=max_epochs - 1, end=max_epochs),
]

# the last epoch is the foundation (no choice on any split); the pool's val split only
# shows the pretraining curve
custom_hooks = [
    dict(type='dlm.TorchThreadsHook', num_threads=1),
    dict(type='ExportFoundationBackboneHook'),
]
default_hooks = dict(checkpoint=dict(interval=max_epochs, max_keep_ckpts=1, save_best=None))

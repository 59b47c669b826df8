# configs/tasks/ssv2_demo.py fine-tuned from the demo foundation ViT instead of from scratch
# (the paper's ViT-B task models all start from one VideoMAE V2 checkpoint). The backbone's
# keys are exactly those of the foundation's (the same ViT); the head starts fresh.
#   python tools/train.py configs/foundation/demo_vit.py
#   python tools/train.py configs/tasks/ssv2_demo_foundation.py
_base_ = ['ssv2_demo.py']

foundation_checkpoint = 'work_dirs/demo_vit/backbone.pth'
model = dict(backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=foundation_checkpoint)))

# configs/tasks/ucf101_demo.py (the zero-shot study's "Original" UCF101 model) fine-tuned
# from the demo foundation ViT, the base it then shares with the SSv2 model of
# ssv2_demo_foundation.py, as the paper's models share VideoMAE V2.
#   python tools/train.py configs/foundation/demo_vit.py
#   python tools/train.py configs/tasks/ucf101_demo_foundation.py
_base_ = ['ucf101_demo.py']

foundation_checkpoint = 'work_dirs/demo_vit/backbone.pth'
model = dict(backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=foundation_checkpoint)))

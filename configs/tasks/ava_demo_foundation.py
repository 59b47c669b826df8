# configs/tasks/ava_demo.py with its ViT backbone started from the demo foundation ViT. The
# foundation reads 32x32 frames in 8x8 patches; AVA reads 64x64 frames in 16x16 patches
# over the same 4x4x4 token grid, so the foundation stage also writes the backbone for this
# geometry (backbone_patch16.pth: the patch kernel spread over 2x2 pixels, the final norm on
# every token; tasks_recognition.hooks.foundation_export). Layer scale is on, as in the
# foundation (init_values: the learnt scales are loaded), so every backbone key matches.
#   python tools/train.py configs/foundation/demo_vit.py
#   python tools/train.py configs/tasks/ava_demo_foundation.py
_base_ = ['ava_demo.py']

foundation_checkpoint = 'work_dirs/demo_vit/backbone_patch16.pth'
model = dict(
    backbone=dict(
        init_values=0.1,
        init_cfg=dict(type='Pretrained', checkpoint=foundation_checkpoint),
    )
)

# MVLPT (docs/method.md §2) on the demo 50Salads set: VPT-shallow prompts initialised from the
# prompts VPT-shallow learned on the source task, the next task of the paper's Table 1
# (ImageNet VID); widths are matched by a fixed semi-orthogonal projection.
#   python tools/train.py configs/baselines/vpt_shallow/imagenet_vid.py
#   python tools/train.py configs/baselines/mvlpt/50salads.py
_base_ = ['../vpt_shallow/50salads.py']

source_task = 'imagenet_vid'
model = dict(
    mapper=dict(
        _delete_=True,
        type='TransferredPrompts',
        init_file='work_dirs/baselines/vpt_shallow/imagenet_vid/prompts_latest.pth',
    )
)
work_dir = 'work_dirs/baselines/mvlpt/50salads'

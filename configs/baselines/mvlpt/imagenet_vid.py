# MVLPT (docs/method.md §2) on the demo ImageNet VID set: VPT-shallow prompts initialised from the
# prompts VPT-shallow learned on the source task, the next task of the paper's Table 1
# (YouTube-VIS); widths are matched by a fixed semi-orthogonal projection.
#   python tools/train.py configs/baselines/vpt_shallow/youtube_vis.py
#   python tools/train.py configs/baselines/mvlpt/imagenet_vid.py
_base_ = ['../vpt_shallow/imagenet_vid.py']

source_task = 'youtube_vis'
model = dict(
    mapper=dict(
        _delete_=True,
        type='TransferredPrompts',
        init_file='work_dirs/baselines/vpt_shallow/youtube_vis/prompts_latest.pth',
    )
)
work_dir = 'work_dirs/baselines/mvlpt/imagenet_vid'

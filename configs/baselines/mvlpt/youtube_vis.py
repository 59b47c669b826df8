# MVLPT (docs/method.md §2) on the demo YouTube-VIS set: VPT-shallow prompts initialised from the
# prompts VPT-shallow learned on the source task, the next task of the paper's Table 1
# (SSv2); widths are matched by a fixed semi-orthogonal projection.
#   python tools/train.py configs/baselines/vpt_shallow/ssv2.py
#   python tools/train.py configs/baselines/mvlpt/youtube_vis.py
_base_ = ['../vpt_shallow/youtube_vis.py']

source_task = 'ssv2'
model = dict(
    mapper=dict(
        _delete_=True,
        type='TransferredPrompts',
        init_file='work_dirs/baselines/vpt_shallow/ssv2/prompts_latest.pth',
    )
)
work_dir = 'work_dirs/baselines/mvlpt/youtube_vis'

# MVLPT (docs/method.md §2) on the demo THUMOS14 set: VPT-shallow prompts initialised from the
# prompts VPT-shallow learned on the source task, the next task of the paper's Table 1
# (50Salads); widths are matched by a fixed semi-orthogonal projection.
#   python tools/train.py configs/baselines/vpt_shallow/50salads.py
#   python tools/train.py configs/baselines/mvlpt/thumos14.py
_base_ = ['../vpt_shallow/thumos14.py']

source_task = '50salads'
model = dict(
    mapper=dict(
        _delete_=True,
        type='TransferredPrompts',
        init_file='work_dirs/baselines/vpt_shallow/50salads/prompts_latest.pth',
    )
)
work_dir = 'work_dirs/baselines/mvlpt/thumos14'

# MVLPT (docs/method.md §2) on the demo THUMOS14 set: VPT-shallow prompts initialised from the
# prompts VPT-shallow learned on the source task, the next task of the paper's Table 1
# (50Salads); widths are matched by a fixed semi-orthogonal projection.
#   python tools/train.py configs/baselines/vpt_shallow/50salads.py
#   python tools/train.py configs/baselines/mvlpt/thumos14.py
_base_ = ['../vpt_shallow/thumos14.py', '../../_base_/baselines/mvlpt.py']

source_task = '50salads'
source_prompts = f'work_dirs/baselines/vpt_shallow/{source_task}/prompts_latest.pth'
model = dict(mapper=dict(_base_.mvlpt_mapper, init_file=source_prompts))
work_dir = 'work_dirs/baselines/mvlpt/thumos14'

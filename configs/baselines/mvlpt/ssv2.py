# MVLPT (docs/method.md §2) on the demo SSv2 set: VPT-shallow prompts initialised from the
# prompts VPT-shallow learned on the source task, the next task of the paper's Table 1
# (AVA); widths are matched by a fixed semi-orthogonal projection.
#   python tools/train.py configs/baselines/vpt_shallow/ava.py
#   python tools/train.py configs/baselines/mvlpt/ssv2.py
_base_ = ['../vpt_shallow/ssv2.py', '../../_base_/baselines/mvlpt.py']

source_task = 'ava'
source_prompts = f'work_dirs/baselines/vpt_shallow/{source_task}/prompts_latest.pth'
model = dict(mapper=dict(_base_.mvlpt_mapper, init_file=source_prompts))
work_dir = 'work_dirs/baselines/mvlpt/ssv2'

# MVLPT (docs/method.md §2) on the demo YouTube-VIS set: VPT-shallow prompts initialised from the
# prompts VPT-shallow learned on the source task, the next task of the paper's Table 1
# (SSv2); widths are matched by a fixed semi-orthogonal projection.
#   python tools/train.py configs/baselines/vpt_shallow/ssv2.py
#   python tools/train.py configs/baselines/mvlpt/youtube_vis.py
_base_ = ['../vpt_shallow/youtube_vis.py', '../../_base_/baselines/mvlpt.py']

source_task = 'ssv2'
source_prompts = f'work_dirs/baselines/vpt_shallow/{source_task}/prompts_latest.pth'
model = dict(mapper=dict(_base_.mvlpt_mapper, init_file=source_prompts))
work_dir = 'work_dirs/baselines/mvlpt/youtube_vis'

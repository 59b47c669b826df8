# MVLPT (docs/method.md §2) on the demo ImageNet VID set: VPT-shallow prompts initialised from the
# prompts VPT-shallow learned on the source task, the next task of the paper's Table 1
# (YouTube-VIS); widths are matched by a fixed semi-orthogonal projection.
#   python tools/train.py configs/baselines/vpt_shallow/youtube_vis.py
#   python tools/train.py configs/baselines/mvlpt/imagenet_vid.py
_base_ = ['../vpt_shallow/imagenet_vid.py', '../../_base_/baselines/mvlpt.py']

source_task = 'youtube_vis'
source_prompts = f'work_dirs/baselines/vpt_shallow/{source_task}/prompts_latest.pth'
model = dict(mapper=dict(_base_.mvlpt_mapper, init_file=source_prompts))
work_dir = 'work_dirs/baselines/mvlpt/imagenet_vid'

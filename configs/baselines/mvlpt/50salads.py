# MVLPT (docs/method.md §2) on the demo 50Salads set: VPT-shallow prompts initialised from the
# prompts VPT-shallow learned on the source task, the next task of the paper's Table 1
# (ImageNet VID); widths are matched by a fixed semi-orthogonal projection.
#   python tools/train.py configs/baselines/vpt_shallow/imagenet_vid.py
#   python tools/train.py configs/baselines/mvlpt/50salads.py
_base_ = ['../vpt_shallow/50salads.py', '../../_base_/baselines/mvlpt.py']

source_task = 'imagenet_vid'
source_prompts = f'work_dirs/baselines/vpt_shallow/{source_task}/prompts_latest.pth'
model = dict(mapper=dict(_base_.mvlpt_mapper, init_file=source_prompts))
work_dir = 'work_dirs/baselines/mvlpt/50salads'

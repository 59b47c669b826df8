# VPT-middle (docs/method.md §2) on the demo THUMOS14 set: the 8 prompts of VPT-shallow join at
# the primary's middle layer, where DLM's prompts join, so that "knowledge from other tasks"
# is told apart from "prompt position".
#   python tools/train.py configs/baselines/vpt_middle/thumos14.py
_base_ = ['../vpt_shallow/thumos14.py']

model = dict(prompt_layer=None)  # the primary's middle layer (its plugin's default)
work_dir = 'work_dirs/baselines/vpt_middle/thumos14'

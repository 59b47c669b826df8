# VPT-shallow (docs/method.md §2) on the demo SSv2 set: 8 learnable prompts of the frozen
# primary's width join before its first encoder layer; no auxiliary model runs. Data and
# schedule are the DLM run's, so only the prompts differ.
#   python tools/train.py configs/baselines/vpt_shallow/ssv2.py
_base_ = ['../../dlm/ssv2_aux5.py', '../../_base_/baselines/vpt_shallow.py']

model = _base_.vpt_shallow_model  # configs/_base_/baselines/vpt_shallow.py
work_dir = 'work_dirs/baselines/vpt_shallow/ssv2'

# VPT-shallow (docs/method.md §2) on the demo 50Salads set: 8 learnable prompts of the frozen
# primary's width join before its first encoder layer; no auxiliary model runs. Data and
# schedule are the DLM run's, so only the prompts differ.
#   python tools/train.py configs/baselines/vpt_shallow/50salads.py
_base_ = ['../../dlm/50salads_aux5.py', '../../_base_/baselines/vpt_shallow.py']

model = _base_.vpt_shallow_model  # configs/_base_/baselines/vpt_shallow.py
work_dir = 'work_dirs/baselines/vpt_shallow/50salads'

# no auxiliary model runs, so the inputs are read as the single-task model reads them (the
# DLM run also decodes frames for the auxiliary views); batches and order are the DLM run's
train_dataloader = dict(dataset=dict(pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(dataset=dict(pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader

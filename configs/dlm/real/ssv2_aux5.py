# DLM at the paper's size on SSv2 with the five other tasks as auxiliaries: the frozen ViT-B
# recognizer (VideoMAE V2 geometry) of configs/tasks/real/vit_b_ssv2.py is prompted (prepended
# tokens, from block 7 of 12) by a double layer mapper reading the middle tokens of the other
# five frozen real-size models (configs/dlm/_base_/real_auxiliaries.py), each on its own view
# of the SSv2 clip.
# The wiring of configs/dlm/ssv2_aux5.py (the demo run) at full size, on the primary's own
# schedule with AdamW for the mapper. Needs the real data and the six single-task checkpoints
# (python tools/train.py configs/tasks/real/<task>.py; a missing one is named with that
# command when the model is built).
#   python tools/train.py configs/dlm/real/ssv2_aux5.py
_base_ = ['../../tasks/real/vit_b_ssv2.py', '../_base_/real_auxiliaries.py']

# the DLM model of configs/dlm/_base_/multi_task_prompt_model.py with this primary and the
# five other tasks as auxiliaries (configs/dlm/_base_/real_auxiliaries.py)
model = dict(_base_.dlm_model, **_base_.real_dlm_wiring['ssv2'])

# the mapper's AdamW and cosine decay (configs/_base_/schedules/prompt_adamw_cosine.py)
optim_wrapper = _base_.dlm_optim_wrapper
param_scheduler = [dict(_base_.dlm_cosine, T_max=_base_.train_cfg.max_epochs)]
custom_hooks = _base_.dlm_hooks

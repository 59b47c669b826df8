# DLM at the paper's size on ImageNet VID with the five other tasks as auxiliaries: the
# frozen TransVOD-style detector of configs/tasks/real/transvod_r50_imagenet_vid.py is
# prompted (prefix mode, in decoder layers 4-6 of 6) by a double layer mapper reading the
# middle tokens of the other five frozen real-size models
# (configs/dlm/_base_/real_auxiliaries.py), each on its own view of the key frame and its
# reference frames.
# The wiring of configs/dlm/imagenet_vid_aux5.py (the demo run) at full size, on the primary's own
# schedule with AdamW for the mapper. Needs the real data and the six single-task checkpoints
# (python tools/train.py configs/tasks/real/<task>.py; a missing one is named with that
# command when the model is built).
#   python tools/train.py configs/dlm/real/imagenet_vid_aux5.py
_base_ = ['../../tasks/real/transvod_r50_imagenet_vid.py', '../_base_/real_auxiliaries.py']

# the DLM model of configs/dlm/_base_/multi_task_prompt_model.py with this primary and the
# five other tasks as auxiliaries (configs/dlm/_base_/real_auxiliaries.py)
model = dict(_base_.dlm_model, **_base_.real_dlm_wiring['imagenet_vid'])

# the mapper's AdamW and cosine decay (configs/_base_/schedules/prompt_adamw_cosine.py)
optim_wrapper = _base_.dlm_optim_wrapper
param_scheduler = [dict(_base_.dlm_cosine, T_max=_base_.train_cfg.max_epochs)]
custom_hooks = _base_.dlm_hooks

# DLM at the paper's size on YouTube-VIS 2019 with the five other tasks as auxiliaries: the
# frozen Mask2Former-VIS of configs/tasks/real/mask2former_r50_youtube_vis.py is prompted
# (prepended to the object queries, from decoder layer 5 of 9) by a double layer mapper
# reading the middle tokens of the other five frozen real-size models
# (configs/dlm/_base_/real_auxiliaries.py), each on its own view of the video's frames.
# The wiring of configs/dlm/youtube_vis_aux5.py (the demo run) at full size, on the primary's own
# schedule with AdamW for the mapper. Needs the real data and the six single-task checkpoints
# (python tools/train.py configs/tasks/real/<task>.py; a missing one is named with that
# command when the model is built).
#   python tools/train.py configs/dlm/real/youtube_vis_aux5.py
_base_ = ['../../tasks/real/mask2former_r50_youtube_vis.py', '../_base_/real_auxiliaries.py']

# the DLM model of configs/dlm/_base_/multi_task_prompt_model.py with this primary and the
# five other tasks as auxiliaries (configs/dlm/_base_/real_auxiliaries.py)
model = dict(_base_.dlm_model, **_base_.real_dlm_wiring['youtube_vis'])

# the mapper's AdamW and cosine decay (configs/_base_/schedules/prompt_adamw_cosine.py)
optim_wrapper = _base_.dlm_optim_wrapper
param_scheduler = [dict(_base_.dlm_cosine, T_max=_base_.max_iters, by_epoch=False)]
custom_hooks = _base_.dlm_hooks

# DLM at the paper's size on 50Salads with the five other tasks as auxiliaries: the frozen
# ASFormer of configs/tasks/real/asformer_50salads.py is prompted (prefix mode, from encoder
# block 6 of 10) by a double layer mapper reading the middle tokens of the other five frozen
# real-size models (configs/dlm/_base_/real_auxiliaries.py), each on its own view of a
# 16-frame clip of the video (read from data/50salads/videos/<video>.avi).
# The wiring of configs/dlm/50salads_aux5.py (the demo run) at full size, on the primary's own
# schedule with AdamW for the mapper. Needs the real data and the six single-task checkpoints
# (python tools/train.py configs/tasks/real/<task>.py; a missing one is named with that
# command when the model is built).
#   python tools/train.py configs/dlm/real/50salads_aux5.py
_base_ = ['../../tasks/real/asformer_50salads.py', '../_base_/real_auxiliaries.py']

# the DLM model of configs/dlm/_base_/multi_task_prompt_model.py with this primary and the
# five other tasks as auxiliaries (configs/dlm/_base_/real_auxiliaries.py)
model = dict(_base_.dlm_model, **_base_.real_dlm_wiring['50salads'])

# the I3D features plus a 16-frame clip of the video for the auxiliary views (short side 256)
frames_pipeline = [
    dict(type='LoadSegmentationFeatures'),
    dict(type='mmaction.DecordInit'),
    dict(type='mmaction.UniformSample', clip_len=16, test_mode=True),
    dict(type='mmaction.DecordDecode'),
    dict(type='mmaction.Resize', scale=(-1, 256)),
    dict(type='PackSegmentationInputs'),
]
frames = dict(data_prefix=dict(video='videos'), video_suffix='.avi', pipeline=frames_pipeline)
train_dataloader = dict(dataset=frames)
val_dataloader = dict(dataset=frames)
test_dataloader = dict(dataset=frames)

# the mapper's AdamW and cosine decay (configs/_base_/schedules/prompt_adamw_cosine.py)
optim_wrapper = _base_.dlm_optim_wrapper
param_scheduler = [dict(_base_.dlm_cosine, T_max=_base_.train_cfg.max_epochs)]
custom_hooks = _base_.dlm_hooks

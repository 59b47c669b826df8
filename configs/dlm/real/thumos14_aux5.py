# DLM at the paper's size on THUMOS14 with the five other tasks as auxiliaries: the frozen
# temporal action detector of configs/tasks/real/vit_b_thumos14.py is prompted (prepended
# tokens, from transformer layer 4 of 6) by a double layer mapper reading the middle tokens of
# the other five frozen real-size models (configs/dlm/_base_/real_auxiliaries.py). The
# untrimmed videos are read as snippet features plus the centre frame of every snippet
# (LoadSnippetFrames), which the auxiliary views sample.
# The wiring of configs/dlm/thumos14_aux5.py (the demo run) at full size, on the primary's own
# schedule with AdamW for the mapper. Needs the real data and the six single-task checkpoints
# (python tools/train.py configs/tasks/real/<task>.py; a missing one is named with that
# command when the model is built).
#   python tools/train.py configs/dlm/real/thumos14_aux5.py
_base_ = ['../../tasks/real/vit_b_thumos14.py', '../_base_/real_auxiliaries.py']

auxiliaries = dict(_base_.real_dlm_wiring['thumos14'].auxiliaries)
# Mask2Former-VIS attends over every frame it is given: 16 of a video's thousands of frames
auxiliaries['youtube_vis'] = dict(auxiliaries['youtube_vis'], view_frames=16)
# the DLM model of configs/dlm/_base_/multi_task_prompt_model.py with this primary and the
# five other tasks as auxiliaries (configs/dlm/_base_/real_auxiliaries.py)
model = dict(
    _base_.dlm_model, primary=_base_.real_dlm_wiring['thumos14'].primary, auxiliaries=auxiliaries
)

# the snippet features plus the centre frame of every snippet (at 128 x 128: a 2304-snippet
# video is 113 MB of frames), for the auxiliary views; videos as data/thumos14/videos/<id>.mp4
frames = dict(type='LoadSnippetFrames', size=128)
data_prefix = dict(feat=f'{_base_.data_root}/features', video=f'{_base_.data_root}/videos')
train_dataloader = dict(
    dataset=dict(
        data_prefix=data_prefix,
        pipeline=[_base_.train_pipeline[0], frames, *_base_.train_pipeline[1:]],
    )
)
val_dataloader = dict(
    dataset=dict(
        data_prefix=data_prefix,
        pipeline=[_base_.test_pipeline[0], frames, *_base_.test_pipeline[1:]],
    )
)
test_dataloader = val_dataloader

# the mapper's AdamW and cosine decay (configs/_base_/schedules/prompt_adamw_cosine.py)
optim_wrapper = _base_.dlm_optim_wrapper
param_scheduler = [dict(_base_.dlm_cosine, T_max=_base_.train_cfg.max_epochs)]
custom_hooks = _base_.dlm_hooks

# DLM on the demo THUMOS14 set with the five other tasks as auxiliaries: the frozen temporal
# action detector of configs/tasks/thumos14_demo.py is prompted (prepended tokens, from its
# middle transformer layer) by a double layer mapper reading the middle tokens of the frozen
# SSv2 recognizer (ViT), AVA detector (ViT), 50Salads ASFormer (per-frame features computed
# from the frames), ImageNet VID detector (Deformable DETR decoder queries) and YouTube-VIS
# model (Mask2Former decoder queries). The untrimmed videos are read as snippet features plus
# one frame per snippet (LoadSnippetFrames), which the auxiliary views sample.
#   python tools/train.py configs/dlm/thumos14_aux5.py    (after the single-task runs)
#   python tools/demo.py configs/dlm/thumos14_aux5.py     (trains what is missing, then this)
_base_ = ['../tasks/thumos14_demo.py', '_base_/demo_auxiliaries.py']

auxiliaries = dict(_base_.demo_dlm_wiring['thumos14'].auxiliaries)
# Mask2Former-VIS attends over every frame it is given: 16 of a video's ~150 frames
auxiliaries['youtube_vis'] = dict(auxiliaries['youtube_vis'], view_frames=16)
# the DLM model of configs/dlm/_base_/multi_task_prompt_model.py with this primary and the
# five other tasks as auxiliaries (configs/dlm/_base_/demo_auxiliaries.py)
model = dict(
    _base_.dlm_model, primary=_base_.demo_dlm_wiring['thumos14'].primary, auxiliaries=auxiliaries
)

# the snippet features plus the centre frame of every snippet, for the auxiliary views
frames = dict(type='LoadSnippetFrames', size=64)
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

# about 150 mapper updates: 15 epochs of 10 batches of 4 videos (decoding the frames of 4
# untrimmed videos is most of a step); validation at the end (static prompts: no auxiliary
# model runs)
max_epochs = 15
train_cfg = dict(max_epochs=max_epochs, val_begin=max_epochs, val_interval=max_epochs)
# the mapper's AdamW and cosine decay (configs/_base_/schedules/prompt_adamw_cosine.py)
optim_wrapper = _base_.dlm_optim_wrapper
param_scheduler = [dict(_base_.dlm_cosine, T_max=max_epochs, convert_to_iter_based=True)]
default_hooks = dict(checkpoint=dict(_base_.dlm_end_checkpoint, interval=max_epochs))
custom_hooks = _base_.dlm_hooks

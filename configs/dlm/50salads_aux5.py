# DLM on the demo 50Salads set with the five other tasks as auxiliaries (the paper's setting):
# the frozen ASFormer of configs/tasks/50salads_demo.py is prompted (prefix mode, from its
# middle encoder block) by a double layer mapper reading the middle tokens of the frozen
# SSv2 recognizer (ViT), AVA detector (ViT), THUMOS14 detector (transformer over snippet
# features), ImageNet VID detector (Deformable DETR decoder queries) and YouTube-VIS model
# (Mask2Former decoder queries), each run on its own view of a clip of the 50Salads video.
#   python tools/train.py configs/dlm/50salads_aux5.py    (after the single-task runs)
#   python tools/demo.py configs/dlm/50salads_aux5.py     (trains what is missing, then this)
_base_ = ['../tasks/50salads_demo.py', '_base_/demo_auxiliaries.py']

# the DLM model of configs/dlm/_base_/multi_task_prompt_model.py with this primary and the
# five other tasks as auxiliaries (configs/dlm/_base_/demo_auxiliaries.py)
model = dict(_base_.dlm_model, **_base_.demo_dlm_wiring['50salads'])

# the primary's features plus a clip of frames for the auxiliary views
train_dataloader = dict(
    dataset=dict(pipeline={{_base_.frames_pipeline}}, data_prefix=dict(video='videos'))
)
val_dataloader = dict(
    dataset=dict(pipeline={{_base_.frames_pipeline}}, data_prefix=dict(video='videos'))
)
test_dataloader = val_dataloader

# 20 epochs of 4 batches; validation (static prompts, no auxiliary model) at 10 and 20
max_epochs = 20
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_begin=10, val_interval=10)
# the mapper's AdamW and cosine decay (configs/_base_/schedules/prompt_adamw_cosine.py); the
# single-task run's optim_wrapper sets nothing but its optimizer, which this replaces
optim_wrapper = dict(optimizer=_base_.dlm_optimizer)
param_scheduler = [dict(_base_.dlm_cosine, T_max=max_epochs)]
custom_hooks = _base_.dlm_hooks

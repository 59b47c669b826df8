# DLM on the demo AVA set with the five other tasks as auxiliaries: the ViT backbone of the
# frozen spatio-temporal action detector of configs/tasks/ava_demo.py is prompted (prepended
# tokens, from its middle block; the RoI head pools the clip's own tokens) by a double layer
# mapper reading the middle tokens of the frozen SSv2 recognizer (ViT), THUMOS14 detector
# (snippet features computed from the clip), 50Salads ASFormer (per-frame features computed
# from the clip), ImageNet VID detector (Deformable DETR decoder queries) and YouTube-VIS
# model (Mask2Former decoder queries), each run on its own view of the keyframe's 8-frame clip.
#   python tools/train.py configs/dlm/ava_aux5.py    (after the single-task runs)
#   python tools/demo.py configs/dlm/ava_aux5.py     (trains what is missing, then this)
_base_ = ['../tasks/ava_demo.py', '_base_/demo_auxiliaries.py']

# the DLM model of configs/dlm/_base_/multi_task_prompt_model.py with this primary and the
# five other tasks as auxiliaries (configs/dlm/_base_/demo_auxiliaries.py)
model = dict(_base_.dlm_model, **_base_.demo_dlm_wiring['ava'])

# about 190 mapper updates: 10 epochs of 19 batches of 8 keyframes;
# validation at the end (static prompts: no auxiliary model runs)
max_epochs = 10
train_cfg = dict(max_epochs=max_epochs, val_begin=max_epochs, val_interval=max_epochs)
# the mapper's AdamW and cosine decay (configs/_base_/schedules/prompt_adamw_cosine.py)
optim_wrapper = _base_.dlm_optim_wrapper
param_scheduler = [dict(_base_.dlm_cosine, T_max=max_epochs, convert_to_iter_based=True)]
default_hooks = dict(checkpoint=dict(_base_.dlm_end_checkpoint, interval=max_epochs))
custom_hooks = _base_.dlm_hooks

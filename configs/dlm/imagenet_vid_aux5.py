# DLM on the demo ImageNet VID set with the five other tasks as auxiliaries: the frozen video
# object detector of configs/tasks/imagenet_vid_demo.py is prompted (prefix mode: extra keys
# and values of the query self-attention in its upper Deformable DETR decoder layers) by a
# double layer mapper reading the middle tokens of the frozen SSv2 recognizer (ViT), AVA
# detector (ViT), THUMOS14 detector (snippet features computed from the frames), 50Salads
# ASFormer (per-frame features computed from the frames) and YouTube-VIS model (Mask2Former
# decoder queries), each run on its own view of the key frame and its reference frames.
#   python tools/train.py configs/dlm/imagenet_vid_aux5.py    (after the single-task runs)
#   python tools/demo.py configs/dlm/imagenet_vid_aux5.py     (trains what is missing, then this)
_base_ = ['../tasks/imagenet_vid_demo.py', '_base_/demo_auxiliaries.py']

# the DLM model of configs/dlm/_base_/multi_task_prompt_model.py with this primary and the
# five other tasks as auxiliaries (configs/dlm/_base_/demo_auxiliaries.py)
model = dict(_base_.dlm_model, **_base_.demo_dlm_wiring['imagenet_vid'])

# about 250 mapper updates: 2 epochs of 126 batches of 4 key frames;
# validation at the end (static prompts: no auxiliary model runs)
max_epochs = 2
train_cfg = dict(max_epochs=max_epochs, val_begin=max_epochs, val_interval=max_epochs)
# the mapper's AdamW and cosine decay (configs/_base_/schedules/prompt_adamw_cosine.py)
optim_wrapper = _base_.dlm_optim_wrapper
param_scheduler = [dict(_base_.dlm_cosine, T_max=max_epochs, convert_to_iter_based=True)]
default_hooks = dict(checkpoint=dict(_base_.dlm_end_checkpoint, interval=max_epochs))
custom_hooks = _base_.dlm_hooks

# DLM on the demo YouTube-VIS set with the five other tasks as auxiliaries: the frozen
# Mask2Former-VIS of configs/tasks/youtube_vis_demo.py is prompted (prepended to the object
# queries of its upper transformer decoder layers) by a double layer mapper reading the
# middle tokens of the frozen SSv2 recognizer (ViT), AVA detector (ViT), THUMOS14 detector
# (snippet features computed from the frames), 50Salads ASFormer (per-frame features computed
# from the frames) and ImageNet VID detector (Deformable DETR decoder queries), each run on
# its own view of the video's frames (a training clip, or the whole video at test time).
#   python tools/train.py configs/dlm/youtube_vis_aux5.py    (after the single-task runs)
#   python tools/demo.py configs/dlm/youtube_vis_aux5.py     (trains what is missing, then this)
_base_ = ['../tasks/youtube_vis_demo.py', '_base_/demo_auxiliaries.py']

# the DLM model of configs/dlm/_base_/multi_task_prompt_model.py with this primary and the
# five other tasks as auxiliaries (configs/dlm/_base_/demo_auxiliaries.py)
model = dict(_base_.dlm_model, **_base_.demo_dlm_wiring['youtube_vis'])

# about 200 mapper updates: 4 epochs of 50 batches of 4 two-frame clips;
# validation at the end (static prompts: no auxiliary model runs)
max_epochs = 4
train_cfg = dict(max_epochs=max_epochs, val_begin=max_epochs, val_interval=max_epochs)
# the mapper's AdamW and cosine decay (configs/_base_/schedules/prompt_adamw_cosine.py)
optim_wrapper = _base_.dlm_optim_wrapper
param_scheduler = [dict(_base_.dlm_cosine, T_max=max_epochs, convert_to_iter_based=True)]
default_hooks = dict(checkpoint=dict(_base_.dlm_end_checkpoint, interval=max_epochs))
custom_hooks = _base_.dlm_hooks

# Zero-shot transfer (the paper's Table 2) on the held-out demo breakfast set: the ASFormer
# trained on it (configs/tasks/breakfast_demo.py), frozen, prompted by the fixed prompts
# that DLM learned with 50salads as the primary (the moving average in prompts_latest.pth);
# nothing is trained. With prompt_file=None it is the "Original" row.
#   python tools/train.py configs/tasks/breakfast_demo.py
#   python tools/train.py configs/dlm/50salads_aux5.py
#   python tools/test.py configs/zero_shot/breakfast_50salads_prompts.py
_base_ = ['../tasks/breakfast_demo.py', '_base_/prompted_task_model.py']

frozen_task = dict(
    type='tasks_segmentation.ActionSegmentationTask', task_config='configs/tasks/breakfast_demo.py'
)
source_prompts = 'work_dirs/50salads_aux5/prompts_latest.pth'
model = dict(_base_.prompted_task_model, task=frozen_task, prompt_file=source_prompts)

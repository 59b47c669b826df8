# Zero-shot transfer (the paper's Table 2) on the held-out demo ucf101 set: the recognizer
# trained on it (configs/tasks/ucf101_demo.py), frozen, prompted by the fixed prompts that
# DLM learned with ssv2 as the primary (the moving average in prompts_latest.pth); nothing
# is trained. With prompt_file=None it is the "Original" row.
#   python tools/train.py configs/tasks/ucf101_demo.py
#   python tools/train.py configs/dlm/ssv2_aux5.py
#   python tools/test.py configs/zero_shot/ucf101_ssv2_prompts.py
_base_ = ['../tasks/ucf101_demo.py', '_base_/prompted_task_model.py']

frozen_task = dict(
    type='tasks_recognition.ActionRecognitionTask', task_config='configs/tasks/ucf101_demo.py'
)
source_prompts = 'work_dirs/ssv2_aux5/prompts_latest.pth'
model = dict(_base_.prompted_task_model, task=frozen_task, prompt_file=source_prompts)

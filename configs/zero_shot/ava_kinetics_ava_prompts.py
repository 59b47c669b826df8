# Zero-shot transfer (the paper's Table 2) on the held-out demo ava_kinetics set: the AVA
# detector (configs/tasks/ava_demo.py; same labels), frozen, prompted by the fixed prompts
# that DLM learned with ava as the primary (the moving average in prompts_latest.pth);
# nothing is trained. With prompt_file=None it is the "Original" row.
#   python tools/train.py configs/tasks/ava_demo.py
#   python tools/train.py configs/dlm/ava_aux5.py
#   python tools/test.py configs/zero_shot/ava_kinetics_ava_prompts.py
_base_ = ['../tasks/ava_kinetics_demo.py', '_base_/prompted_task_model.py']

frozen_task = dict(
    type='tasks_detection.SpatioTemporalDetectionTask', task_config='configs/tasks/ava_demo.py'
)
source_prompts = 'work_dirs/ava_aux5/prompts_latest.pth'
model = dict(_base_.prompted_task_model, task=frozen_task, prompt_file=source_prompts)

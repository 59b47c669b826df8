# configs/dlm/ssv2_aux5.py with exact start: the prompts reach the SSv2 recognizer's task
# tokens only through zero-initialised gates (one per prompted block and auxiliary task),
# so the untrained DLM model tests exactly as the frozen single-task model and training
# starts from it (dlm_core.models.prompt_gate). Everything else is the base run's.
#   python tools/train.py configs/dlm/ssv2_aux5_exact.py
_base_ = ['ssv2_aux5.py']

model = dict(exact_start=True)

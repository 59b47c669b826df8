# configs/dlm/ssv2_aux5.py without the exact start: the prompts join the SSv2 recognizer's
# sequence ungated from the first step, as the paper builds DLM, so the untrained DLM model
# is not the frozen single-task model (the benchmark's "DLM" rows; "DLM (exact start)" is
# the configs' default). Everything else is the base run's.
#   python tools/train.py configs/dlm/ssv2_aux5_ungated.py
_base_ = ['ssv2_aux5.py']

model = dict(exact_start=False)

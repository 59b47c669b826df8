# DLM without its second layer (the alignment adapters) on the demo AVA set: the ablation
# of the paper's Fig. 3. Everything else is the DLM run's.
#   python tools/train.py configs/baselines/dlm_no_layer2/ava.py
_base_ = ['../../dlm/ava_aux5.py']

model = dict(mapper=dict(second_layer=False))
work_dir = 'work_dirs/baselines/dlm_no_layer2/ava'

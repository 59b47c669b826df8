# DLM without its second layer (the alignment adapters) on the demo YouTube-VIS set: the ablation
# of the paper's Fig. 3. Everything else is the DLM run's.
#   python tools/train.py configs/baselines/dlm_no_layer2/youtube_vis.py
_base_ = ['../../dlm/youtube_vis_aux5.py']

model = dict(mapper=dict(second_layer=False))
work_dir = 'work_dirs/baselines/dlm_no_layer2/youtube_vis'

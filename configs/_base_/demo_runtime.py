# The runtime of the demo task models (configs/tasks/*_demo.py, CPU, minutes): the shared
# runtime, epoch-based loops with a linear warm-up from a tenth of the rate over the first
# epoch then cosine decay to 1e-5, a log line every 10 iterations, and one intra-op thread
# (tiny models on a small shared CPU run several times faster on one thread; see dlm_core's
# TorchThreadsHook). A base cannot see its child's length, so each config lists the two
# schedule steps with its own numbers:
#   param_scheduler = [
#       _base_.param_scheduler[0],
#       dict(_base_.param_scheduler[1], T_max=max_epochs - 1, end=max_epochs),
#   ]
_base_ = ['default_runtime.py']

train_cfg = dict(type='EpochBasedTrainLoop')
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1, convert_to_iter_based=True
    ),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=1),
]

default_hooks = dict(logger=dict(interval=10))
custom_hooks = [dict(type='dlm.TorchThreadsHook', num_threads=1)]

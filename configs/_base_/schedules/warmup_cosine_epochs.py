# The demo task models' schedule (configs/tasks/*_demo.py): epoch-based loops, a linear
# warm-up from a tenth of the rate over the first epoch, then cosine decay to 1e-5. A base
# cannot see its child's length, so each config lists the two steps with its own numbers:
#   param_scheduler = [
#       _base_.param_scheduler[0],
#       dict(_base_.param_scheduler[1], T_max=max_epochs - 1, end=max_epochs),
#   ]
train_cfg = dict(type='EpochBasedTrainLoop')
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1, convert_to_iter_based=True
    ),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=1),
]

# How an HPS run (docs/method.md §2; configs/baselines/hps/) trains its shared blocks: one
# batch of each task in turn, counted in iterations, with a linear warm-up from a tenth of
# the rate and cosine decay to 1e-5 after it. Helper keys only (named hps_*): the primary's
# config defines the real keys and a base cannot see its child's length, so a config lists
# this beside its primary's config and sets its own keys from these with its own numbers:
#   train_cfg = dict(_base_.hps_train_cfg, task=..., other_dataloaders=..., max_iters=...)
#   param_scheduler = [dict(_base_.hps_warmup_lr, end=warmup), dict(_base_.hps_cosine_lr, ...)]
hps_train_cfg = dict(_delete_=True, type='dlm.RoundRobinTrainLoop')
hps_warmup_lr = dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0)
hps_cosine_lr = dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=False)
# MMEngine's paramwise options walk the module tree and would list the shared blocks once
# per task ("some parameters appear in more than one parameter group"): plain AdamW here
hps_optim_wrapper = dict(paramwise_cfg=dict(_delete_=True))

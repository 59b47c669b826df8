# How a DLM run (configs/dlm/, configs/dlm/real/) trains its mapper, and so how the prompt
# baselines built on those runs train their prompts: AdamW at 1e-3, cosine decay to 1e-5
# over the run. Helper keys only (named dlm_*): two bases may not define the same key and a
# base cannot see its child's length, so a config lists this beside its primary's config and
# sets its own keys from these with its own numbers:
#   optim_wrapper = _base_.dlm_optim_wrapper
#   param_scheduler = [dict(_base_.dlm_cosine, T_max=max_epochs)]
#   default_hooks = dict(checkpoint=dict(_base_.dlm_end_checkpoint, interval=max_epochs))
dlm_optimizer = dict(type='AdamW', lr=1e-3, weight_decay=1e-4)
# _delete_: none of the frozen task's optimiser settings (paramwise options, gradient
# clipping) carry over to the mapper
dlm_optim_wrapper = dict(_delete_=True, type='OptimWrapper', optimizer=dlm_optimizer)
dlm_cosine = dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True)
# a demo run validates once, at the end: one checkpoint, that one, and no best-so-far copy
dlm_end_checkpoint = dict(max_keep_ckpts=1, save_best=None)

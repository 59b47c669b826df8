# Runtime defaults shared by every config (single-task, DLM and baselines).
default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, ignore_last=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # atomic_local: checkpoints are written to a temporary file, then renamed (dlm_core)
    checkpoint=dict(
        type='CheckpointHook',
        interval=1,
        max_keep_ckpts=2,
        save_last=True,
        backend_args=dict(backend='atomic_local'),
    ),
    finite_loss=dict(type='dlm.FiniteLossHook'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
# The text log (with ETA) goes to <work_dir>/<time>/<time>.log; the backends below get the
# same scalars (loss, lr, metrics) under <work_dir>/<time>/vis_data/: LocalVisBackend as
# scalars.json. TensorBoard (tensorboard is in requirements/stack.txt) is one switch away:
#   python tools/train.py CONFIG --tensorboard
# or, for every run, append dict(type='TensorboardVisBackend') to the list below, or in one
# config: visualizer = dict(vis_backends=[dict(type='LocalVisBackend'),
#                                         dict(type='TensorboardVisBackend')])
# then: tensorboard --logdir work_dirs
log_processor = dict(type='LogProcessor', window_size=20, by_epoch=True)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)

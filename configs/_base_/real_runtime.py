# The runtime of the real-size ViT-B task models that follow mmaction2's 8-GPU recipes
# (configs/tasks/real/vit_b_ssv2.py and the configs built on it, vit_b_ava.py): the shared
# runtime, 8 clips per GPU read by 8 persistent workers, and the learning rate stated for
# 8 GPUs x 8 clips (auto_scale_lr off: --auto-scale-lr rescales it for another batch).
_base_ = ['default_runtime.py']

train_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_dataloader = val_dataloader
auto_scale_lr = dict(enable=False, base_batch_size=64)

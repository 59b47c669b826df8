# The runtime of the demo task models (configs/tasks/*_demo.py, CPU, minutes): the shared
# runtime and the warm-up + cosine schedule, a log line every 10 iterations, and one intra-op
# thread (tiny models on a small shared CPU run several times faster on one thread; see
# dlm_core's TorchThreadsHook).
_base_ = ['default_runtime.py', 'schedules/warmup_cosine_epochs.py']

default_hooks = dict(logger=dict(interval=10))
custom_hooks = [dict(type='dlm.TorchThreadsHook', num_threads=1)]

# configs/dlm/ssv2_aux5.py followed by a static calibration stage: the base run's 6 epochs
# (same schedule), then 2 epochs in which the moving-average prompts are trained as plain
# prompts (with the head and gates where the run trains them) while no mapper and no
# auxiliary model runs (dlm.StaticCalibrationHook). Static inference and the prompt files
# use the calibrated prompts.
#   python tools/train.py configs/dlm/ssv2_aux5_calibrated.py
_base_ = ['ssv2_aux5.py']

main_epochs = 6
calibration_epochs = 2
max_epochs = main_epochs + calibration_epochs

model = dict(static_calibration=True)
train_cfg = dict(max_epochs=max_epochs, val_begin=max_epochs, val_interval=max_epochs)
# the base run's cosine schedule, ended where calibration begins
param_scheduler = [
    dict(_base_.dlm_cosine, T_max=main_epochs, begin=0, end=main_epochs, convert_to_iter_based=True)
]
default_hooks = dict(checkpoint=dict(interval=max_epochs))
# distributed runs: the mapper is unused while calibrating, the calibrated prompts before
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True)
custom_hooks = _base_.custom_hooks + [
    dict(type='dlm.StaticCalibrationHook', begin=main_epochs, lr=1e-3),
]

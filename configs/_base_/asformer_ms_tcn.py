# ASFormer as the paper trains it on a dataset of the MS-TCN layout (50Salads, Breakfast,
# GTEA: configs/tasks/real/asformer_*.py set the data root, classes, sample rate and their
# own changes): the recipe that ships with tasks_segmentation (its
# configs/asformer_ms_tcn.py, package data), on this repository's runtime, keeping the 3
# best-so-far checkpoints of the validation every 10 epochs.
_base_ = [
    'default_runtime.py',
    # read from where tasks_segmentation is installed (found without importing it), so that
    # no config reaches into packages/ by a relative path
    __import__('importlib.util').util.find_spec('tasks_segmentation').submodule_search_locations[0]
    + '/configs/asformer_ms_tcn.py',
]

default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3))

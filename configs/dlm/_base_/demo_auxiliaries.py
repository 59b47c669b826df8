# The six demo tasks as auxiliaries of a DLM run (the model takes them in name order), each the
# frozen single-task model of its configs/tasks/<task>_demo.py (checkpoint: the work dir of
# that run), plus the hooks every demo DLM run shares and, from its bases, the DLM model
# (dlm_model, dlm_mapper) and the mapper's schedule (dlm_optim_wrapper, dlm_cosine, ...).
# A DLM config inherits this beside its primary's demo config and builds its model
# from its primary's entry of demo_dlm_wiring:
#   model = dict(_base_.dlm_model, **_base_.demo_dlm_wiring['<primary>'])
# Names start with demo_/dlm_ so that they never clash with a task config's variables.
_base_ = ['multi_task_prompt_model.py', '../../_base_/schedules/prompt_adamw_cosine.py']

from mmengine.config import Config as _Config  # noqa: E402

# the THUMOS14 and 50Salads demo configs define how their models see other frames
# (feature_extractor); they are read, not copied, and the names deleted below so that they
# never become keys of this config
_thumos14 = _Config.fromfile('{{ fileDirname }}/../../tasks/thumos14_demo.py')
_salads = _Config.fromfile('{{ fileDirname }}/../../tasks/50salads_demo.py')
del _Config

demo_auxiliaries = {
    'ssv2': dict(
        type='tasks_recognition.ActionRecognitionTask',
        task_config='configs/tasks/ssv2_demo.py',
    ),
    'ava': dict(
        type='tasks_detection.SpatioTemporalDetectionTask',
        task_config='configs/tasks/ava_demo.py',
    ),
    'thumos14': dict(
        type='tasks_detection.TemporalDetectionTask',
        task_config='configs/tasks/thumos14_demo.py',
        # the extractor that made the THUMOS14 demo features (tasks_detection.demo.thumos14),
        # run on the primary's frames
        feature_extractor=_thumos14.feature_extractor,
    ),
    '50salads': dict(
        type='tasks_segmentation.ActionSegmentationTask',
        task_config='configs/tasks/50salads_demo.py',
        # the extractor that made the 50Salads demo features (tasks_segmentation.demo), run
        # on the primary's frames
        view_extractor=_salads.feature_extractor,
    ),
    'imagenet_vid': dict(
        type='tasks_detection.VideoObjectDetectionTask',
        task_config='configs/tasks/imagenet_vid_demo.py',
    ),
    'youtube_vis': dict(
        type='tasks_segmentation.VideoInstanceSegmentationTask',
        task_config='configs/tasks/youtube_vis_demo.py',
    ),
}

# every task as the primary of a DLM run: its plugin and single-task config (the entry above
# without its view settings) and the five other tasks as its auxiliaries
demo_dlm_wiring = {
    name: dict(
        primary=dict(type=task['type'], task_config=task['task_config']),
        auxiliaries={k: v for k, v in demo_auxiliaries.items() if k != name},
    )
    for name, task in demo_auxiliaries.items()
}

dlm_hooks = [
    dict(type='dlm.PromptCheckpointHook'),
    # tiny models on a small shared CPU run several times faster on one thread
    dict(type='dlm.TorchThreadsHook', num_threads=1),
]
del _thumos14, _salads

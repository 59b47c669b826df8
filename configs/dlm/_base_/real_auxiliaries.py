# The six tasks at the paper's size as auxiliaries of a DLM run, each the frozen model of
# its configs/tasks/real/*.py (checkpoint: the work dir of that run), plus the hooks every
# real DLM run shares and, from its bases, the DLM model (dlm_model, dlm_mapper) and the
# mapper's schedule (dlm_optim_wrapper, dlm_cosine, ...). A DLM config in configs/dlm/real/
# inherits this beside its primary's real config and builds its model
# from its primary's entry of real_dlm_wiring:
#   model = dict(_base_.dlm_model, **_base_.real_dlm_wiring['<primary>'])
# Names start with real_/dlm_ so that they never clash with a task config's variables.
_base_ = ['multi_task_prompt_model.py', '../../_base_/schedules/prompt_adamw_cosine.py']

from mmengine.config import Config as _Config  # noqa: E402

# the THUMOS14 task config defines how its model sees other frames (feature_extractor); it is
# read, not copied, and the name deleted below so that it never becomes a key of this config
_thumos14 = _Config.fromfile('{{ fileDirname }}/../../tasks/real/vit_b_thumos14.py')
del _Config

real_videomae_vit_b = _thumos14.videomae_vit_b
real_i3d_r50 = (
    'https://download.openmmlab.com/mmaction/v1.0/recognition/i3d/'
    'i3d_imagenet-pretrained-r50_8xb8-32x2x1-100e_kinetics400-rgb/'
    'i3d_imagenet-pretrained-r50_8xb8-32x2x1-100e_kinetics400-rgb_20220812-e213c223.pth'
)
real_auxiliaries = {
    'ssv2': dict(
        type='tasks_recognition.ActionRecognitionTask',
        task_config='configs/tasks/real/vit_b_ssv2.py',
    ),
    'ava': dict(
        type='tasks_detection.SpatioTemporalDetectionTask',
        task_config='configs/tasks/real/vit_b_ava.py',
    ),
    'thumos14': dict(
        type='tasks_detection.TemporalDetectionTask',
        task_config='configs/tasks/real/vit_b_thumos14.py',
        # the extractor of its features: VideoMAE ViT-B/16 slid over 16-frame snippets every
        # 4 frames of the primary's frames (feature_extractor of vit_b_thumos14.py)
        feature_extractor=_thumos14.feature_extractor,
    ),
    '50salads': dict(
        type='tasks_segmentation.ActionSegmentationTask',
        task_config='configs/tasks/real/asformer_50salads.py',
        # 2048-d I3D features of the primary's frames (mmaction2's Kinetics-400 I3D R50,
        # average-pooled) of 8-frame windows, one every 2nd frame as ASFormer reads 50Salads
        # (sample rate 2); _scope_ finds this tasks_detection module from the segmentation
        # plugin
        view_extractor=dict(
            type='ClipBackboneExtractor',
            _scope_='tasks_detection',
            backbone=dict(
                type='mmaction.ResNet3d',
                depth=50,
                pretrained=None,
                pretrained2d=False,
                conv1_kernel=(5, 7, 7),
                conv1_stride_t=2,
                pool1_stride_t=2,
                conv_cfg=dict(type='Conv3d'),
                norm_eval=False,
                inflate=((1, 1, 1), (1, 0, 1, 0), (1, 0, 1, 0, 1, 0), (0, 1, 0)),
                zero_init_residual=False,
            ),
            snippet_len=8,
            stride=2,
            img_size=224,
            checkpoint=real_i3d_r50,
        ),
    ),
    'imagenet_vid': dict(
        type='tasks_detection.VideoObjectDetectionTask',
        task_config='configs/tasks/real/transvod_r50_imagenet_vid.py',
    ),
    'youtube_vis': dict(
        type='tasks_segmentation.VideoInstanceSegmentationTask',
        task_config='configs/tasks/real/mask2former_r50_youtube_vis.py',
    ),
}

# every task as the primary of a DLM run: its plugin and single-task config (the entry above
# without its view settings) and the five other tasks as its auxiliaries
real_dlm_wiring = {
    name: dict(
        primary=dict(type=task['type'], task_config=task['task_config']),
        auxiliaries={k: v for k, v in real_auxiliaries.items() if k != name},
    )
    for name, task in real_auxiliaries.items()
}

dlm_hooks = [dict(type='dlm.PromptCheckpointHook')]
del _thumos14

# configs/tasks/imagenet_vid_demo.py with its ResNet backbone pretrained before the detector
# trains, the demo's stand-in for TransVOD's ImageNet / COCO backbone: BackboneBoxPretrainHook
# first fits the backbone to name the digit in each box of separately rendered scenes (their
# own random stream, none of the set's frames), then the backbone stays frozen with its
# statistics and the encoder, decoder and temporal stage train.
#   python tools/train.py configs/tasks/imagenet_vid_demo_pretrained.py
_base_ = ['imagenet_vid_demo.py']

# custom_imports (tasks_detection) comes with the base: BackboneBoxPretrainHook is found
# through the package's registry locations

model = dict(detector=dict(backbone=dict(frozen_stages=4, norm_eval=True)))

custom_hooks = [
    dict(type='dlm.TorchThreadsHook', num_threads=1),
    dict(type='BackboneBoxPretrainHook', num_scenes=4000, levels=(1, 2), iters=2500),
]

"""Training hooks of the detection tasks (import ``tasks_detection.hooks`` to register)."""

from .box_pretrain_hook import BackboneBoxPretrainHook, render_pretrain_scenes

__all__ = ['BackboneBoxPretrainHook', 'render_pretrain_scenes']

"""Training hooks of the detection tasks (registered in this package's ``HOOKS``)."""

from .box_pretrain_hook import BackboneBoxPretrainHook, render_pretrain_scenes

__all__ = ['BackboneBoxPretrainHook', 'render_pretrain_scenes']

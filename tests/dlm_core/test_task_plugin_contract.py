"""The task-plugin contract: abstract members, the default tap, the capability attributes."""

from __future__ import annotations

import typing

import pytest
import torch

from dlm_core.errors import ConfigError
from dlm_core.registry import MODELS
from dlm_core.tasks import TaskPlugin, ViTEncoderTask, build_task
from tests.helpers.toy_task import TOY_TASKS, ToyTask

TOY = dict(type='toy_tasks.ToyTask', in_dim=16, dim=32, depth=2, num_classes=3)


@TOY_TASKS.register_module()
class UnsharedToyTask(ToyTask):
    """A toy whose encoder is not offered for hard parameter sharing."""

    can_share_encoder = False


def test_a_plugin_that_lacks_a_member_cannot_be_built_and_the_error_names_it():
    class Partial(TaskPlugin):
        def embed(self, inputs):
            return inputs

    with pytest.raises(TypeError, match='abstract method.*view'):
        Partial()
    missing = set(Partial.__abstractmethods__)
    assert missing == {
        'embed_dim', 'num_layers', 'task_model', 'head_modules', 'run_layers', 'loss',
        'predict', 'shared_sample', 'view',
    }  # fmt: skip
    assert set(ViTEncoderTask.__abstractmethods__) == {
        'task_model',
        'head_modules',
        'loss',
        'predict',
        'shared_sample',
        'view',
    }


def test_the_default_tap_reads_the_token_state():
    plugin = build_task(TOY)
    state = plugin.run_layers(plugin.embed(torch.randn(2, 5, 16)), 0, 1, torch.zeros(2, 3, 32))
    assert plugin.tokens(state) is state.tokens and state.tokens.shape == (2, 8, 32)


def test_hard_sharing_needs_plugins_that_can_share_their_encoder():
    unshared = dict(TOY, type='toy_tasks.UnsharedToyTask')
    with pytest.raises(ConfigError, match=r'can_share_encoder = True\); b \(UnsharedToyTask\)'):
        MODELS.build(dict(type='HardParameterSharingModel', tasks=dict(a=TOY, b=unshared)))
    plugin, donor = build_task(unshared), build_task(TOY)
    with pytest.raises(ConfigError, match='UnsharedToyTask does not name its encoder parts'):
        plugin.share_encoder(donor)
    with pytest.raises(ConfigError, match='cannot share its encoder'):
        TaskPlugin.encoder_parts(plugin)


def test_the_task_plugins_declare_their_capabilities():
    from tasks_detection.plugins.spatio_temporal import SpatioTemporalDetectionTask
    from tasks_detection.plugins.temporal import TemporalDetectionTask
    from tasks_detection.plugins.video_object_detection import VideoObjectDetectionTask
    from tasks_recognition.plugins import ActionRecognitionTask
    from tasks_segmentation.plugins.action_segmentation import ActionSegmentationTask
    from tasks_segmentation.plugins.video_instance_segmentation import (
        VideoInstanceSegmentationTask,
    )

    injections = typing.get_args(typing.get_args(typing.get_type_hints(TaskPlugin)['injection'])[0])
    assert injections == ('prepend', 'prefix')
    plugins = {
        ActionRecognitionTask: ('prepend', True),
        SpatioTemporalDetectionTask: ('prepend', True),
        TemporalDetectionTask: ('prepend', False),
        VideoObjectDetectionTask: ('prefix', False),
        VideoInstanceSegmentationTask: ('prepend', False),
        ActionSegmentationTask: ('prefix', False),
    }
    for cls, (injection, shares) in plugins.items():
        assert (cls.injection, cls.can_share_encoder) == (injection, shares), cls.__name__
        assert cls.supports_prompt_gate, cls.__name__
        assert 'tokens' not in vars(cls), f'{cls.__name__} repeats the default tap'

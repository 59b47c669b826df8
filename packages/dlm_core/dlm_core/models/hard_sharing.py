"""Hard parameter sharing (HPS): one encoder, one head per task, trained jointly."""

from __future__ import annotations

from mmengine.logging import print_log
from mmengine.model import BaseModel
from torch import nn

from ..errors import ConfigError
from ..registry import MODELS
from ..tasks import build_task
from .accounting import TrainableAccountingMixin
from .freezing import count_parameters
from .task_routing_preprocessor import TaskRoutingPreprocessor


@MODELS.register_module()
class HardParameterSharingModel(TrainableAccountingMixin, BaseModel):
    """The HPS baseline of the paper: tasks whose encoders have the same architecture
    (the ViT-B tasks) train one shared encoder and their own heads on their own datasets,
    batch by batch in turn (:class:`~dlm_core.engine.RoundRobinTrainLoop`).

    Every task model is loaded from its own checkpoint, then all tasks take the encoder
    of ``eval_task`` (the primary, evaluated by the validation and test loops). Everything
    is trained. Under distributed training set ``model_wrapper_cfg=dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)``: each batch reaches
    one head only.

    Args:
        tasks: ``{name: task plugin config}``; each plugin names its ``encoder_parts``
            (``can_share_encoder``).
        eval_task: the task that predicts (default: the first).
    """

    def __init__(self, tasks: dict, eval_task: str | None = None, init_cfg=None):
        if not tasks:
            raise ValueError('HardParameterSharingModel needs at least one task')
        plugins = {name: build_task(cfg) for name, cfg in tasks.items()}
        unable = [
            f'{n} ({type(p).__name__})' for n, p in plugins.items() if not p.can_share_encoder
        ]
        if unable:
            raise ConfigError(
                'hard parameter sharing needs plugins that name their encoder parts '
                f'(can_share_encoder = True); {", ".join(unable)} do not'
            )
        eval_task = eval_task or next(iter(plugins))
        if eval_task not in plugins:
            raise KeyError(f'eval_task {eval_task!r} is not one of {sorted(plugins)}')
        preprocessor = TaskRoutingPreprocessor(
            {name: plugin.data_preprocessor for name, plugin in plugins.items()}, eval_task
        )
        super().__init__(data_preprocessor=preprocessor, init_cfg=init_cfg)
        self.tasks = nn.ModuleDict(plugins)
        self.eval_task = eval_task
        for plugin in self.tasks.values():
            plugin.load_checkpoint()
        #: parameters of the separate task models, before sharing
        self.backbone_parameters = count_parameters(list(self.tasks.values()))
        donor = self.tasks[eval_task]
        for name, plugin in self.tasks.items():
            if name != eval_task:
                plugin.share_encoder(donor)
        print_log(
            f'HPS: tasks {list(self.tasks)} share the encoder of {eval_task!r}; trainable '
            f'{self.trainable_parameters:,} of {self.backbone_parameters:,} parameters of '
            f'the separate task models = {self.trainable_percent:.2f} %',
            logger='current',
        )

    def init_weights(self) -> None:
        """Nothing to initialise: every task model was loaded from its checkpoint."""

    def forward(self, inputs, data_samples=None, mode: str = 'tensor', task: str | None = None):
        task = task or self.eval_task
        plugin = self.tasks[task]
        state = plugin.run_layers(plugin.embed(inputs), 0, plugin.num_layers)
        if mode == 'loss':
            return {
                f'{task}.{key}': value for key, value in plugin.loss(state, data_samples).items()
            }
        if mode == 'predict':
            return plugin.predict(state, data_samples)
        if mode == 'tensor':
            return plugin.tokens(state)
        raise ValueError(f'mode must be "loss", "predict" or "tensor", got {mode!r}')

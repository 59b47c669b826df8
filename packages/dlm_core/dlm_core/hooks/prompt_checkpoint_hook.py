"""Small checkpoints for prompt tuning: trained tensors only, and a prompt file."""

from __future__ import annotations

import os.path as osp

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ..registry import HOOKS


@HOOKS.register_module()
class PromptCheckpointHook(Hook):
    """Keep frozen backbones out of checkpoints and write a prompt file beside each one.

    Every time MMEngine saves a checkpoint this hook

    * drops from its ``state_dict`` every tensor the run does not train (the frozen
      backbones, reloaded from their own checkpoints when the model is built), keeping
      the mapper, the trained head and the prompt moving average (``trainable_only``);
    * writes ``prompts_<epoch|iter>_<n>.pth`` and ``prompts_latest.pth`` in the work dir:
      the inference prompts and the trained tensors alone (``save_prompt_file``).

    The model must be a :class:`~dlm_core.models.MultiTaskPromptModel`.
    """

    priority = 'LOW'

    def __init__(self, trainable_only: bool = True, save_prompt_file: bool = True):
        self.trainable_only = trainable_only
        self.save_prompt_file = save_prompt_file

    @staticmethod
    def _model(runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if not hasattr(model, 'trained_state_dict'):
            raise TypeError(
                f'PromptCheckpointHook needs a MultiTaskPromptModel, the runner has '
                f'{type(model).__name__}'
            )
        return model

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        model = self._model(runner)
        if self.trainable_only:
            keep = set(model.trained_state_dict())
            checkpoint['state_dict'] = {
                k: v for k, v in checkpoint['state_dict'].items() if k in keep
            }
            checkpoint.setdefault('meta', {})['dlm_trainable_only'] = True
        if (
            self.save_prompt_file
            and model.mapper is not None
            and (not model.mapper.input_dependent or int(model.ema_steps) > 0)
        ):
            by_epoch = runner.train_loop is not None and hasattr(runner.train_loop, 'max_epochs')
            tag = f'epoch_{runner.epoch + 1}' if by_epoch else f'iter_{runner.iter + 1}'
            meta = dict(epoch=runner.epoch, iter=runner.iter, experiment=runner.experiment_name)
            model.export_prompts(osp.join(runner.work_dir, f'prompts_{tag}.pth'), meta)
            model.export_prompts(osp.join(runner.work_dir, 'prompts_latest.pth'), meta)

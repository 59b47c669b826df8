"""Toy transforms and a toy dataset with a pipeline, for the tap cache's tests: one
transform that declares itself deterministic, one random augmentation."""

import torch

from dlm_core.registry import DATASETS, TRANSFORMS
from tests.helpers.toy_task import ToyTokenDataset


@TRANSFORMS.register_module()
class ToyScale:
    """Deterministic, and says so."""

    deterministic = True

    def __init__(self, factor: float = 1.0):
        self.factor = factor

    def __call__(self, results):
        return dict(results, inputs=results['inputs'] * self.factor)


@TRANSFORMS.register_module()
class ToyJitter:
    """Random noise on the tokens: a random augmentation."""

    def __call__(self, results):
        return dict(results, inputs=results['inputs'] + 0.1 * torch.randn_like(results['inputs']))


@DATASETS.register_module()
class ToyPipelineDataset(ToyTokenDataset):
    """The toy tokens through a pipeline."""

    def prepare_data(self, idx):
        return self.pipeline(super().prepare_data(idx))

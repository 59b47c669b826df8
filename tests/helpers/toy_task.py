"""A tiny task plugin for the core's tests: a few transformer layers on random tokens.

Registered into its own child registry of ``dlm_core.registry.TASKS``, exactly as a
task package does. Its data is a random token sequence whose class shifts the tokens
along a class direction, so a few steps of training can learn it.
"""

from __future__ import annotations

import os
import signal

import torch
import torch.nn.functional as F
from mmengine.dataset import BaseDataset
from mmengine.evaluator import BaseMetric
from mmengine.hooks import Hook
from mmengine.registry import Registry
from torch import nn

from dlm_core.registry import DATASETS, HOOKS, METRICS, TASKS
from dlm_core.tasks import TaskPlugin, TokenState

TOY_TASKS = Registry('task plugin', parent=TASKS, scope='toy_tasks')


class ToyTaskModel(nn.Module):
    """Stem (linear + batch norm), ``depth`` pre-norm transformer layers, linear head."""

    def __init__(self, in_dim: int, dim: int, depth: int, num_classes: int):
        super().__init__()
        self.stem = nn.Linear(in_dim, dim)
        self.stem_norm = nn.BatchNorm1d(dim)
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(
                dim,
                nhead=4,
                dim_feedforward=2 * dim,
                dropout=0.1,
                batch_first=True,
                norm_first=True,
            )
            for _ in range(depth)
        )
        self.head = nn.Linear(dim, num_classes)


@TOY_TASKS.register_module()
class ToyTask(TaskPlugin):
    """Tokens ``(B, N, in_dim)`` in, class logits out; records what its head sees."""

    can_share_encoder = True

    def __init__(
        self,
        in_dim: int = 16,
        dim: int = 32,
        depth: int = 4,
        num_classes: int = 3,
        model: dict | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if model is not None:  # the geometry of a single-task config's model
            in_dim, dim = model['in_dim'], model['dim']
            depth, num_classes = model['depth'], model['num_classes']
        self.model = ToyTaskModel(in_dim, dim, depth, num_classes)
        self.in_dim = in_dim
        self.head_token_counts: list[int] = []

    @property
    def embed_dim(self) -> int:
        return self.model.stem.out_features

    @property
    def num_layers(self) -> int:
        return len(self.model.layers)

    @property
    def task_model(self) -> nn.Module:
        return self.model

    def head_modules(self):
        return [self.model.head]

    def encoder_parts(self):
        return {
            'model.stem': self.model.stem,
            'model.stem_norm': self.model.stem_norm,
            'model.layers': self.model.layers,
        }

    def embed(self, inputs):
        x = self.model.stem(inputs)
        x = self.model.stem_norm(x.transpose(1, 2)).transpose(1, 2)
        return TokenState(x)

    def run_layers(self, state, start, stop, prompts=None):
        if prompts is not None:
            state = state.prepend(prompts)
        tokens = state.tokens
        for layer in self.model.layers[start:stop]:
            tokens = layer(tokens)
        return TokenState(tokens, state.num_prompts, state.extras)

    def _logits(self, state):
        task_tokens = state.task_tokens
        self.head_token_counts.append(task_tokens.shape[1])
        return self.model.head(task_tokens.mean(dim=1))

    def loss(self, state, data_samples):
        return dict(loss_cls=F.cross_entropy(self._logits(state), data_samples))

    def predict(self, state, data_samples):
        logits = self._logits(state)
        labels = data_samples if data_samples is not None else [None] * len(logits)
        return [dict(logits=lg, label=lb) for lg, lb in zip(logits, labels)]

    def shared_sample(self, inputs, data_samples):
        return dict(features=inputs.transpose(1, 2))

    def view(self, sample):
        features = self.require(sample, 'features')
        return F.adaptive_avg_pool1d(features.transpose(1, 2), self.in_dim)


@DATASETS.register_module()
class ToyTokenDataset(BaseDataset):
    """Random tokens shifted along one direction per class; deterministic from a seed."""

    def __init__(
        self,
        num_samples: int = 64,
        num_tokens: int = 10,
        in_dim: int = 16,
        num_classes: int = 3,
        seed: int = 0,
        **kwargs,
    ):
        self.spec = (num_samples, num_tokens, in_dim, num_classes, seed)
        super().__init__(serialize_data=False, **kwargs)

    def load_data_list(self):
        num_samples, num_tokens, in_dim, num_classes, seed = self.spec
        generator = torch.Generator().manual_seed(seed)
        directions = torch.randn(num_classes, in_dim, generator=torch.Generator().manual_seed(99))
        data = []
        for _ in range(num_samples):
            label = int(torch.randint(num_classes, (1,), generator=generator))
            tokens = torch.randn(num_tokens, in_dim, generator=generator) + directions[label]
            data.append(dict(inputs=tokens, data_samples=torch.tensor(label)))
        return data

    def prepare_data(self, idx):
        info = self.get_data_info(idx)
        return dict(inputs=info['inputs'], data_samples=info['data_samples'])


@METRICS.register_module()
class ToyAccuracy(BaseMetric):
    def process(self, data_batch, data_samples):
        for sample in data_samples:
            self.results.append(int(sample['logits'].argmax()) == int(sample['label']))

    def compute_metrics(self, results):
        return dict(accuracy=100.0 * sum(results) / max(1, len(results)))


@HOOKS.register_module()
class KillAtIterationHook(Hook):
    """Kills its own process with SIGKILL at one iteration: a crash mid-epoch."""

    def __init__(self, iteration: int):
        self.iteration = iteration

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.iter + 1 == self.iteration:
            os.kill(os.getpid(), signal.SIGKILL)


@HOOKS.register_module()
class PoisonLossHook(Hook):
    """Makes the mapper's prompts NaN before one iteration, so its loss is NaN."""

    def __init__(self, iteration: int):
        self.iteration = iteration

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter + 1 == self.iteration:
            with torch.no_grad():
                runner.model.mapper.prompts[0].fill_(float('nan'))


@HOOKS.register_module()
class SaveTrainedTensorsHook(Hook):
    """Saves each rank's trained tensors after training (for the distributed test)."""

    def after_train(self, runner):
        model = runner.model.module if hasattr(runner.model, 'module') else runner.model
        torch.save(
            model.trained_state_dict(),
            os.path.join(runner.work_dir, f'trained_rank{runner.rank}.pth'),
        )

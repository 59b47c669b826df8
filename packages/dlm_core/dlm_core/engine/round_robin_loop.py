"""Training on several datasets in turn, one batch each (for hard parameter sharing)."""

from __future__ import annotations

from mmengine.runner import IterBasedTrainLoop

from ..registry import LOOPS


class RoundRobinIterator:
    """Endless batches from several dataloaders in turn, each tagged with its task."""

    def __init__(self, dataloaders: dict):
        self.dataloaders = dataloaders
        self.names = list(dataloaders)
        self.iterators = {name: iter(loader) for name, loader in dataloaders.items()}
        self.epochs = dict.fromkeys(self.names, 0)
        self.position = 0

    def __iter__(self):
        return self

    def __next__(self) -> dict:
        name = self.names[self.position % len(self.names)]
        self.position += 1
        try:
            batch = next(self.iterators[name])
        except StopIteration:
            self.epochs[name] += 1
            sampler = getattr(self.dataloaders[name], 'sampler', None)
            if hasattr(sampler, 'set_epoch'):
                sampler.set_epoch(self.epochs[name])
            self.iterators[name] = iter(self.dataloaders[name])
            batch = next(self.iterators[name])
        return dict(batch, task=name)


@LOOPS.register_module()
class RoundRobinTrainLoop(IterBasedTrainLoop):
    """An iteration-based loop whose batches come from ``task``'s dataloader (the
    runner's ``train_dataloader``) and ``other_dataloaders`` in turn.

    Args:
        task: name of the task of ``train_dataloader``.
        other_dataloaders: ``{task name: dataloader config}`` of the other tasks.
    """

    def __init__(
        self, runner, dataloader, max_iters: int, task: str, other_dataloaders: dict, **kwargs
    ):
        super().__init__(runner, dataloader, max_iters, **kwargs)
        loaders = {task: self.dataloader}
        for name, cfg in other_dataloaders.items():
            loaders[name] = runner.build_dataloader(cfg, seed=runner.seed)
        self.dataloaders = loaders
        self.dataloader_iterator = RoundRobinIterator(loaders)

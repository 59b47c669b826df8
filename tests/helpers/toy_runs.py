"""Runs of the toy DLM model (two toy task plugins and the double layer mapper) on toy
tokens: as a Config for the Runner, and as the text of a config file for the tools."""

import copy
import textwrap

from mmengine.config import Config

from tests.helpers import toy_task  # noqa: F401  (registers the toy plugin and dataset)
from tests.helpers.paths import RUNTIME

TOY_MODEL = dict(
    type='MultiTaskPromptModel',
    primary=dict(type='ToyTask', in_dim=16, dim=32, depth=4, num_classes=3),
    auxiliaries=dict(aux=dict(type='ToyTask', in_dim=16, dim=24, depth=2, num_classes=2)),
    mapper=dict(type='DoubleLayerMapper', num_prompts=4, reduction=4, adapter_reduction=4),
)


def toy_loader(dataset: dict, batch_size: int, shuffle: bool) -> dict:
    """A single-process dataloader config over ``dataset`` (default collate)."""
    return dict(
        batch_size=batch_size,
        num_workers=0,
        collate_fn=dict(type='default_collate'),
        sampler=dict(type='DefaultSampler', shuffle=shuffle),
        dataset=dataset,
    )


def train_val_loaders(dataset: dict, batch_size: int, **val_dataset_changes):
    """A shuffled training loader over ``dataset`` and its unshuffled validation twin,
    whose dataset takes ``val_dataset_changes`` (another seed, so other samples)."""
    loader = toy_loader(dataset, batch_size, shuffle=True)
    val_loader = copy.deepcopy(loader)
    val_loader['sampler']['shuffle'] = False
    val_loader['dataset'].update(val_dataset_changes)
    return loader, val_loader


def toy_config(work_dir, max_epochs, model=TOY_MODEL, hook=True):
    loader, val_loader = train_val_loaders(
        dict(type='ToyTokenDataset', num_samples=48, seed=0), 8, seed=1
    )
    return Config(
        dict(
            default_scope='dlm',
            work_dir=str(work_dir),
            model=copy.deepcopy(model),
            train_dataloader=loader,
            val_dataloader=val_loader,
            val_evaluator=dict(type='ToyAccuracy'),
            train_cfg=dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs),
            val_cfg=dict(),
            optim_wrapper=dict(optimizer=dict(type='AdamW', lr=3e-3, weight_decay=0.01)),
            # the schedule is the 2-epoch run's in both halves of the interrupted run
            param_scheduler=[
                dict(type='CosineAnnealingLR', T_max=2, begin=0, end=2, by_epoch=True)
            ],
            default_hooks=dict(
                checkpoint=dict(type='CheckpointHook', interval=1),
                logger=dict(type='LoggerHook', interval=1),
            ),
            custom_hooks=[dict(type='PromptCheckpointHook')] if hook else [],
            randomness=dict(seed=0),
            log_level='WARNING',
        )
    )


def toy_run_text(
    *, batch_size: int, num_samples: int, max_epochs: int, lr: float, rest: str = ''
) -> str:
    """The text of a config file for tools/train.py: the toy DLM model trained for
    ``max_epochs`` on ``num_samples`` toy tokens with AdamW at ``lr``; ``rest`` (indented
    or not) adds lines such as hooks or launcher settings."""
    head = textwrap.dedent(f"""
        _base_ = [{RUNTIME!r}]
        custom_imports = dict(imports=['tests.helpers.toy_task'], allow_failed_imports=False)
        default_scope = 'dlm'
        model = dict(
            type='MultiTaskPromptModel',
            primary=dict(type='ToyTask', in_dim=16, dim=32, depth=4, num_classes=3),
            auxiliaries=dict(aux=dict(type='ToyTask', in_dim=16, dim=24, depth=2, num_classes=2)),
            mapper=dict(type='DoubleLayerMapper', num_prompts=4, reduction=4, adapter_reduction=4))
        train_dataloader = dict(
            batch_size={batch_size}, num_workers=0, collate_fn=dict(type='default_collate'),
            sampler=dict(type='DefaultSampler', shuffle=True),
            dataset=dict(type='ToyTokenDataset', num_samples={num_samples}, seed=0))
        train_cfg = dict(by_epoch=True, max_epochs={max_epochs}, val_interval=10)
        optim_wrapper = dict(optimizer=dict(type='AdamW', lr={lr!r}))
    """)
    return head + textwrap.dedent(rest).lstrip('\n')

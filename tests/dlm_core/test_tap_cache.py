"""The tap cache: same training with it as without, rebuilt when its inputs change, off
(and saying why) when the pipeline is random or a state cannot be stored."""

import copy
import json
import logging
import os.path as osp
import socket
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import BaseDataset, Compose
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmengine.structures import BaseDataElement

from dlm_core.cache import NotCacheable, TapCache, TensorStore, pipeline_randomness
from dlm_core.cache.sample_keys import content_keys, identity_keys
from dlm_core.cache.state_codec import decode_state, encode_state
from dlm_core.registry import DATASETS, HOOKS, MODELS, TASKS, TRANSFORMS, build_from
from dlm_core.run_config import load_run_config
from dlm_core.tasks import TokenState
from tests.helpers import toy_task  # noqa: F401  (registers the toy plugin and dataset)
from tests.helpers.paths import ROOT, RUNTIME, repo_env
from tests.helpers.toy_runs import toy_loader
from tests.helpers.toy_task import TOY_TASKS, ToyTask, ToyTokenDataset

AUX = dict(type='ToyTask', in_dim=16, dim=24, depth=2, num_classes=2)
MODEL = dict(
    type='MultiTaskPromptModel',
    primary=dict(type='ToyTask', in_dim=16, dim=32, depth=4, num_classes=3),
    auxiliaries=dict(aux=AUX),
    mapper=dict(type='DoubleLayerMapper', num_prompts=4, reduction=4, adapter_reduction=4),
)
LOSSES: dict[str, list[float]] = {}


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


@HOOKS.register_module()
class RecordLossHook(Hook):
    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        LOSSES.setdefault(runner.work_dir, []).append(float(outputs['loss']))


@TOY_TASKS.register_module()
class MetaToyTask(ToyTask):
    """The toy task with data samples that carry metainfo; its state may hold an object."""

    def __init__(self, odd_state: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.odd_state = odd_state

    def embed(self, inputs):
        state = super().embed(inputs)
        if self.odd_state:
            state.extras['note'] = object()
        return state

    def loss(self, state, data_samples):
        return super().loss(state, torch.stack([s.gt_label for s in data_samples]))


def config(work_dir, epochs=3, shuffle=False, tap_cache=True, pipeline=None, aux=AUX):
    model = copy.deepcopy(MODEL)
    model['auxiliaries'] = dict(aux=aux)
    if tap_cache:
        model['tap_cache'] = dict(enabled=True) if tap_cache is True else tap_cache
    dataset = dict(type='ToyTokenDataset', num_samples=24, seed=0)
    if pipeline is not None:
        dataset = dict(type='ToyPipelineDataset', num_samples=24, seed=0, pipeline=pipeline)
    return Config(
        dict(
            default_scope='dlm',
            work_dir=str(work_dir),
            model=model,
            train_dataloader=toy_loader(dataset, 8, shuffle),
            train_cfg=dict(by_epoch=True, max_epochs=epochs),
            optim_wrapper=dict(optimizer=dict(type='AdamW', lr=3e-3, weight_decay=0.01)),
            default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=100)),
            custom_hooks=[dict(type='TapCacheHook'), dict(type='RecordLossHook')],
            randomness=dict(seed=0),
            log_level='INFO',
        )
    )


class Messages(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())

    def cache_lines(self):
        return [line for line in self.lines if line.startswith('tap cache:')]


def train(cfg):
    """Train; return the runner, its tap-cache log lines and the calls of the auxiliary's
    first layer and of the primary's first layer."""
    LOSSES.pop(cfg.work_dir, None)
    runner = Runner.from_cfg(cfg)
    messages = Messages()
    runner.logger.addHandler(messages)
    calls = dict(aux=0, primary=0)
    model = runner.model

    def count(name):
        def hook(module, args, output):
            calls[name] += 1

        return hook

    model.auxiliaries['aux'].model.layers[0].register_forward_hook(count('aux'))
    model.primary.model.layers[0].register_forward_hook(count('primary'))
    try:
        runner.train()
    finally:
        runner.logger.removeHandler(messages)
    return runner, messages.cache_lines(), calls


@pytest.mark.parametrize('shuffle', [False, True], ids=['in-order', 'shuffled'])
def test_training_with_the_cache_equals_training_without(tmp_path, shuffle):
    plain, lines, plain_calls = train(config(tmp_path / 'plain', shuffle=shuffle, tap_cache=None))
    assert lines == []
    cached, lines, calls = train(config(tmp_path / 'cached', shuffle=shuffle))
    assert any('tap cache: on (deterministic pipeline)' in line and 'new' in line for line in lines)
    assert any('keyed by their content' in line for line in lines)
    want, got = LOSSES[str(tmp_path / 'plain')], LOSSES[str(tmp_path / 'cached')]
    assert len(got) == len(want) == 9
    if shuffle:  # batches of other samples than the stored ones: rounding may differ
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
    else:
        assert got == want
    for name, tensor in plain.model.trained_state_dict().items():
        torch.testing.assert_close(cached.model.trained_state_dict()[name], tensor, msg=name)
    # the frozen lower halves ran in the first epoch only; the primary's upper half always
    assert plain_calls == dict(aux=9, primary=9)
    assert calls == dict(aux=3, primary=3)
    cache = cached.model.tap_cache
    assert (cache.misses, cache.hits) == (24, 48)
    assert osp.isfile(tmp_path / 'cached' / 'tap_cache' / 'manifest.json')
    # what the cache serves is what the frozen models compute, for every sample
    model, dataset = cached.model, cached.train_dataloader.dataset
    inputs = torch.stack([dataset[i]['inputs'] for i in range(len(dataset))])
    labels = torch.stack([dataset[i]['data_samples'] for i in range(len(dataset))])
    state, taps = model.frozen_lower_half(inputs, labels)

    def recompute():
        raise AssertionError('the cache should serve every sample')

    stored, stored_taps = cache.fetch(inputs, labels, model.primary, recompute, torch.device('cpu'))
    torch.testing.assert_close(stored.tokens, state.tokens, rtol=1e-6, atol=1e-6)
    assert len(stored_taps) == len(taps) == 1
    torch.testing.assert_close(stored_taps[0], taps[0], rtol=1e-6, atol=1e-6)


def _save_aux_checkpoint(path, seed):
    torch.manual_seed(seed)
    aux = build_from(TASKS, AUX)
    torch.save({'state_dict': aux.model.state_dict()}, path)


def test_a_changed_checkpoint_or_pipeline_rebuilds_the_cache(tmp_path):
    checkpoint = tmp_path / 'aux.pth'
    _save_aux_checkpoint(checkpoint, seed=1)
    aux = dict(AUX, checkpoint=str(checkpoint))
    work_dir = tmp_path / 'run'
    pipeline = [dict(type='ToyScale', factor=1.0)]

    runner, lines, _ = train(config(work_dir, epochs=1, pipeline=pipeline, aux=aux))
    assert any('on (deterministic pipeline)' in line and ': new;' in line for line in lines)
    assert runner.model.tap_cache.misses == 24

    runner, lines, calls = train(config(work_dir, epochs=1, pipeline=pipeline, aux=aux))
    assert any('24 stored samples reused' in line for line in lines)
    assert (runner.model.tap_cache.misses, runner.model.tap_cache.hits) == (0, 24)
    assert calls == dict(aux=0, primary=0)

    _save_aux_checkpoint(checkpoint, seed=2)
    runner, lines, calls = train(config(work_dir, epochs=1, pipeline=pipeline, aux=aux))
    assert any('rebuilt, because auxiliary aux changed' in line for line in lines), lines
    assert runner.model.tap_cache.misses == 24
    assert calls['aux'] == 3

    changed = [dict(type='ToyScale', factor=2.0)]
    runner, lines, _ = train(config(work_dir, epochs=1, pipeline=changed, aux=aux))
    assert any('rebuilt, because pipeline changed' in line for line in lines), lines
    assert runner.model.tap_cache.misses == 24

    cfg = config(work_dir, epochs=1, pipeline=changed, aux=aux)
    cfg.model.prompt_layer = 1
    runner, lines, _ = train(cfg)
    assert any('rebuilt, because primary changed' in line for line in lines), lines


def test_a_random_pipeline_turns_the_cache_off_and_says_why(tmp_path):
    cfg = config(tmp_path / 'random', epochs=2, pipeline=[dict(type='ToyJitter')])
    runner, lines, calls = train(cfg)
    assert lines == [
        'tap cache: off: the train pipeline is random: ToyJitter is a random augmentation. '
        'Set model.tap_cache.fixed_view=True to reuse the first view of each sample in later '
        'epochs anyway'
    ]
    assert not runner.model.tap_cache.active
    assert calls == dict(aux=6, primary=6)
    assert not osp.exists(tmp_path / 'random' / 'tap_cache')


def test_the_run_config_adds_the_hook_for_a_model_with_a_tap_cache(tmp_path):
    path = tmp_path / 'cfg.py'
    path.write_text(f'model = {dict(MODEL, tap_cache=dict(enabled=True))!r}\n')
    assert load_run_config(str(path)).custom_hooks == [dict(type='dlm.TapCacheHook')]
    path.write_text(f'model = {MODEL!r}\n')
    assert 'custom_hooks' not in load_run_config(str(path))


# -- the model without a Runner ---------------------------------------------------------
class Jittered:
    """A dataset stand-in whose pipeline is random."""

    pipeline = Compose([ToyJitter()])


def meta_model(**primary):
    torch.manual_seed(0)
    cfg = dict(MODEL, tap_cache=dict(enabled=True, fixed_view=True))
    cfg['primary'] = dict(type='MetaToyTask', in_dim=16, dim=32, depth=4, **primary)
    return MODELS.build(cfg).train()


def meta_batch(noise_seed):
    generator = torch.Generator().manual_seed(0)
    base = torch.randn(4, 10, 16, generator=generator)
    noise = torch.randn(base.shape, generator=torch.Generator().manual_seed(noise_seed))
    samples = [
        BaseDataElement(metainfo=dict(filename=f'clip{i}.mp4'), gt_label=torch.tensor(i % 3))
        for i in range(4)
    ]
    return base + 0.1 * noise, samples


def test_fixed_view_reuses_the_first_view_of_a_randomly_augmented_sample(tmp_path):
    model = meta_model()
    assert model.attach_tap_cache(str(tmp_path), dataset=Jittered())
    first_view, samples = meta_batch(noise_seed=1)
    second_view, _ = meta_batch(noise_seed=2)
    with torch.no_grad():
        first = model(first_view, samples, mode='loss')['loss_cls']
        again = model(second_view, samples, mode='loss')['loss_cls']  # served from the cache
    assert (model.tap_cache.misses, model.tap_cache.hits) == (4, 4)
    assert torch.equal(first, again)
    model.tap_cache = None
    with torch.no_grad():
        uncached = model(second_view, samples, mode='loss')['loss_cls']
    assert not torch.equal(uncached, again)


def test_fixed_view_without_sample_ids_turns_the_cache_off(tmp_path):
    model = meta_model()
    model.attach_tap_cache(str(tmp_path), dataset=Jittered())
    inputs, _ = meta_batch(noise_seed=1)
    samples = [BaseDataElement(metainfo=dict(fps=30.0), gt_label=torch.tensor(0))] * 4
    loss = model(inputs, samples, mode='loss')['loss_cls']
    assert torch.isfinite(loss)
    assert not model.tap_cache.active


def test_a_state_that_cannot_be_stored_turns_the_cache_off_and_training_goes_on(tmp_path):
    model = meta_model(odd_state=True)
    model.attach_tap_cache(str(tmp_path), dataset=Jittered())
    inputs, samples = meta_batch(noise_seed=1)
    loss = model(inputs, samples, mode='loss')['loss_cls']
    loss.backward()
    assert not model.tap_cache.active
    assert model.tap_cache.misses == 0
    assert model.mapper.prompts[0].grad is not None


def test_a_cache_nothing_attached_runs_uncached(tmp_path):
    model = meta_model()
    inputs, samples = meta_batch(noise_seed=1)
    model(inputs, samples, mode='loss')
    assert (model.tap_cache.hits, model.tap_cache.misses) == (0, 0)
    assert not osp.exists(tmp_path / 'tap_cache')


def test_validation_loss_never_uses_the_cache(tmp_path):
    model = meta_model()
    model.attach_tap_cache(str(tmp_path), dataset=Jittered())
    model.eval()
    model(*meta_batch(noise_seed=1), mode='loss')
    assert model.tap_cache.misses == 0


# -- the parts -----------------------------------------------------------------------------
def _transform(name, **attributes):
    """An instance of a transform class called ``name``."""
    return type(name, (), dict(attributes, __call__=lambda self, results: results))()


@pytest.mark.parametrize(
    ('transforms', 'reason'),
    [
        ([], None),
        (
            [
                _transform('DecordInit'),
                _transform('SampleFrames', test_mode=True),
                _transform('DecordDecode'),
                _transform('Resize'),
                _transform('CenterCrop'),
                _transform('FormatShape'),
                _transform('PackActionInputs'),
                _transform('LoadSegmentationFeatures'),
            ],
            None,
        ),
        (
            [_transform('SampleFrames', test_mode=False)],
            'SampleFrames samples frames at random (test_mode=False)',
        ),
        ([_transform('RandomCrop')], 'RandomCrop is a random augmentation'),
        ([_transform('Flip', flip_ratio=0.5)], 'Flip is a random augmentation'),
        ([_transform('Mystery')], 'Mystery is not known to be deterministic'),
        ([_transform('Mystery', deterministic=True)], None),
        ([_transform('Resize', deterministic=False)], 'Resize declares itself random'),
    ],
)
def test_pipeline_randomness_by_allow_list(transforms, reason):
    dataset = type('Dataset', (), dict(pipeline=Compose(transforms)))()
    why = pipeline_randomness(dataset)
    if reason is None:
        assert why is None
    else:
        assert reason in why


def test_the_user_can_extend_the_allow_list():
    dataset = type('Dataset', (), dict(pipeline=Compose([_transform('Mystery')])))()
    assert 'Mystery is not known' in pipeline_randomness(dataset)
    assert pipeline_randomness(dataset, extra=['Mystery']) is None


def test_mixing_preprocessors_and_wrapped_datasets():
    mixup = type('Preprocessor', (), dict(blending=_transform('MixupBlending')))()
    plain = type('Dataset', (), dict(pipeline=Compose([])))()
    assert 'blending=MixupBlending' in pipeline_randomness(plain, mixup)
    inner = type('Inner', (), dict(pipeline=Compose([ToyJitter()])))()
    wrapped = type('Repeat', (), dict(dataset=inner))()
    assert 'ToyJitter' in pipeline_randomness(wrapped)
    assert pipeline_randomness(None) == 'no train dataset was given'
    assert 'Opaque has no pipeline to inspect' in pipeline_randomness(type('Opaque', (), {})())


def test_token_states_round_trip_with_their_extras():
    state = TokenState(
        torch.randn(4, 5, 6),
        0,
        dict(grid=(2, 3, 1), masks=torch.ones(4, 5, dtype=torch.bool), prompts=None, deep=[{}]),
    )
    tensors, skeleton = encode_state(None, state)
    assert set(tensors) == {'tokens', 'extras.masks'}
    back = decode_state(None, {k: v.clone() for k, v in tensors.items()}, skeleton)
    assert torch.equal(back.tokens, state.tokens)
    assert back.extras['grid'] == (2, 3, 1)
    assert torch.equal(back.extras['masks'], state.extras['masks'])
    assert back.extras['prompts'] is None and back.extras['deep'] == [{}]
    with pytest.raises(NotCacheable, match=r"extras.grid\[1\] has shape \(3,\), not the batch's 4"):
        encode_state(None, TokenState(torch.zeros(4, 1, 1), 0, dict(grid=[1, torch.zeros(3)])))
    with pytest.raises(NotCacheable, match='keeps its state in a dict'):
        encode_state(ToyTask(), dict(tokens=torch.zeros(1)))


def test_identity_keys_follow_the_view_unless_the_view_is_fixed():
    def sample(**info):
        return BaseDataElement(metainfo=info)

    a = sample(filename='a.mp4', frame_inds=np.arange(8))
    b = sample(filename='a.mp4', frame_inds=np.arange(8) + 1)
    c = sample(filename='c.mp4', frame_inds=np.arange(8))
    keys = identity_keys([a, b, c], fixed_view=False)
    assert len(set(keys)) == 3
    fixed = identity_keys([a, b, c], fixed_view=True)
    assert fixed[0] == fixed[1] != fixed[2]
    assert identity_keys([a, sample(img_shape=(2, 2))], fixed_view=False) is None


def test_content_keys_tell_inputs_and_metainfo_apart():
    inputs = torch.zeros(3, 4)
    inputs[2, 0] = 1
    keys = content_keys(inputs, [None, None, None])
    assert keys[0] == keys[1] != keys[2]
    with_meta = content_keys(inputs, [BaseDataElement(metainfo=dict(fps=30.0))] + [None] * 2)
    assert with_meta[0] != keys[0] and with_meta[1] == keys[1]
    split = content_keys(dict(a=inputs, b=[torch.ones(1)] * 3), [None] * 3)
    assert split[0] == split[1] != keys[0]
    with pytest.raises(ValueError, match=r"inputs\['a'\] has shape \(2, 4\), not 3 samples"):
        content_keys(dict(a=inputs[:2]), [None] * 3)


def test_the_store_shares_entries_between_shards_and_survives_a_torn_write(tmp_path):
    first, second = TensorStore(str(tmp_path), shard=0), TensorStore(str(tmp_path), shard=1)
    tensors = dict(x=torch.arange(6.0).reshape(2, 3), flag=torch.tensor([True, False]))
    first.put('a', tensors, dict(note=1))
    second.put('b', dict(x=torch.zeros(1, 3, dtype=torch.bfloat16)))
    got, note = second.get('a')  # written by the other shard after this one opened
    assert torch.equal(got['x'], tensors['x']) and torch.equal(got['flag'], tensors['flag'])
    assert note == dict(note=1)
    assert first.get('b')[0]['x'].dtype == torch.bfloat16
    with open(tmp_path / 'shard_0' / 'index.jsonl', 'a') as index:
        index.write('{"key": "torn", "tens')  # a crash while writing a record
    first.close()
    second.close()
    reopened = TensorStore(str(tmp_path), shard=0)
    assert len(reopened) == 2 and 'torn' not in reopened
    assert torch.equal(reopened.get('a')[0]['x'], tensors['x'])
    TensorStore.clear(str(tmp_path))
    assert len(TensorStore(str(tmp_path), shard=0)) == 0


def test_a_disabled_cache_says_so(tmp_path):
    cache = TapCache(enabled=False)
    assert not cache.attach(str(tmp_path), {}, dataset=None)
    assert not cache.active


def test_base_dataset_pipelines_are_read():
    dataset = ToyPipelineDataset(num_samples=2, pipeline=[ToyScale()])
    assert isinstance(dataset, BaseDataset)
    assert pipeline_randomness(dataset) is None


COUNTS_HOOK = """
import json, os
from mmengine.hooks import Hook
from dlm_core.registry import HOOKS


@HOOKS.register_module()
class SaveTapCacheCountsHook(Hook):
    def after_train(self, runner):
        model = runner.model.module if hasattr(runner.model, 'module') else runner.model
        counts = dict(hits=model.tap_cache.hits, misses=model.tap_cache.misses)
        with open(os.path.join(runner.work_dir, f'counts_rank{runner.rank}.json'), 'w') as f:
            json.dump(counts, f)
"""


@pytest.mark.slow
def test_two_processes_share_one_cache(tmp_path):
    """Each rank stores the samples it sees; a shuffled later epoch reads the other's."""
    (tmp_path / 'tap_cache_counts.py').write_text(COUNTS_HOOK)
    config = tmp_path / 'toy_dlm.py'
    config.write_text(
        f'_base_ = [{RUNTIME!r}]\n'
        "custom_imports = dict(imports=['tests.helpers.toy_task', 'tap_cache_counts'])\n"
        "default_scope = 'dlm'\n"
        f'model = {dict(MODEL, tap_cache=dict(enabled=True))!r}\n'
        'train_dataloader = dict(batch_size=8, num_workers=0, '
        "collate_fn=dict(type='default_collate'), "
        "sampler=dict(type='DefaultSampler', shuffle=True), "
        "dataset=dict(type='ToyTokenDataset', num_samples=48, seed=0))\n"
        'train_cfg = dict(by_epoch=True, max_epochs=3, val_interval=10)\n'
        "optim_wrapper = dict(optimizer=dict(type='AdamW', lr=3e-3))\n"
        "custom_hooks = [dict(type='SaveTapCacheCountsHook'), "
        "dict(type='SaveTrainedTensorsHook')]\n"
        "env_cfg = dict(dist_cfg=dict(backend='gloo'))\n"
    )
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    env = repo_env(tmp_path, OMP_NUM_THREADS='1')
    command = [
        sys.executable,
        '-m',
        'torch.distributed.run',
        '--nproc_per_node=2',
        f'--master_port={port}',
        osp.join(ROOT, 'tools', 'train.py'),
        str(config),
        '--work-dir',
        str(tmp_path / 'work'),
        '--launcher',
        'pytorch',
    ]
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    counts = [json.loads((tmp_path / 'work' / f'counts_rank{r}.json').read_text()) for r in (0, 1)]
    # 48 samples, 24 a rank an epoch: each stored once, then read twice, by either rank
    assert sum(c['misses'] for c in counts) == 48
    assert sum(c['hits'] for c in counts) == 96
    assert sorted(p.name for p in (tmp_path / 'work' / 'tap_cache').iterdir()) == [
        'manifest.json',
        'shard_0',
        'shard_1',
    ]
    rank0 = torch.load(tmp_path / 'work' / 'trained_rank0.pth', weights_only=True)
    rank1 = torch.load(tmp_path / 'work' / 'trained_rank1.pth', weights_only=True)
    for name in rank0:
        assert torch.equal(rank0[name], rank1[name]), name

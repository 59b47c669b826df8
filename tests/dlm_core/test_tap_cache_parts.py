"""The tap cache's parts: the model with a cache but without a Runner (a fixed view, a
state that cannot be stored, validation), the pipeline's randomness by allow list, the
state codec, the sample keys and the tensor store."""

import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.dataset import BaseDataset, Compose
from mmengine.structures import BaseDataElement

from dlm_core.cache import NotCacheable, TapCache, TensorStore, pipeline_randomness
from dlm_core.cache.sample_keys import content_keys, identity_keys
from dlm_core.cache.state_codec import decode_state, encode_state
from dlm_core.registry import MODELS
from dlm_core.tasks import TokenState
from tests.helpers.toy_pipeline import ToyJitter, ToyPipelineDataset, ToyScale
from tests.helpers.toy_runs import TOY_MODEL as MODEL
from tests.helpers.toy_task import TOY_TASKS, ToyTask


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

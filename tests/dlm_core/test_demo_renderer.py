"""The task-neutral moving-digit renderer: labels agree with the pixels, by construction."""

import numpy as np
import pytest

from dlm_core.demo import (
    MOTIONS,
    DigitTrack,
    load_digit_glyphs,
    make_background,
    motion_track,
    pick_glyph,
    render_clip,
)


def clip_for(motion, seed=0, size=48, frames=12):
    rng = np.random.default_rng(seed)
    background = make_background(size, size, rng, 'noise')
    track = motion_track(pick_glyph(5, rng), 5, motion, frames, size, size, rng)
    return track, render_clip([track], background)


def test_glyphs_are_scikit_learn_digits():
    glyphs = load_digit_glyphs()
    assert sorted(glyphs) == list(range(10))
    assert sum(len(v) for v in glyphs.values()) == 1797
    assert all(v.shape[1:] == (8, 8) and v.min() >= 0 and v.max() <= 1 for v in glyphs.values())


def test_rendering_is_deterministic_from_the_seed():
    _, first = clip_for('right', seed=3)
    _, second = clip_for('right', seed=3)
    _, other = clip_for('right', seed=4)
    assert np.array_equal(first.frames, second.frames)
    assert not np.array_equal(first.frames, other.frames)


@pytest.mark.parametrize(
    ('motion', 'axis', 'sign'), [('right', 0, 1), ('left', 0, -1), ('down', 1, 1), ('up', 1, -1)]
)
def test_translations_move_the_box(motion, axis, sign):
    _, clip = clip_for(motion)
    centre = (clip.boxes[:, 0, axis] + clip.boxes[:, 0, axis + 2]) / 2
    assert sign * (centre[-1] - centre[0]) > 8


def test_growing_and_appearing():
    _, grow = clip_for('grow')
    area = grow.masks[:, 0].sum(axis=(1, 2))
    assert area[-1] > 3 * area[0]
    _, appear = clip_for('appear')
    assert not appear.visible[0, 0] and appear.visible[-1, 0]
    assert np.isnan(appear.boxes[0, 0]).all()


def test_boxes_enclose_masks_and_ink_changes_pixels():
    track, clip = clip_for('turn_cw')
    for t in range(len(clip.frames)):
        ys, xs = np.nonzero(clip.masks[t, 0])
        assert tuple(clip.boxes[t, 0]) == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
        ink = clip.frames[t][clip.masks[t, 0]].astype(int)
        assert np.abs(ink - track.color.astype(int)).mean() < 60
    assert set(MOTIONS) >= {'turn_cw', 'appear', 'vanish', 'static'}


def test_later_tracks_occlude_earlier_ones():
    rng = np.random.default_rng(0)
    glyph = np.ones((8, 8), np.float32)

    def square(center, iid):
        return DigitTrack(
            1,
            glyph,
            np.tile(center, (2, 1)).astype(float),
            np.full(2, 16.0),
            np.zeros(2),
            np.ones(2),
            np.array([255, 0, 0], np.uint8),
            iid,
        )

    clip = render_clip(
        [square((20, 20), 1), square((28, 20), 2)], make_background(40, 48, rng, 'plain')
    )
    assert not (clip.masks[0, 0] & clip.masks[0, 1]).any()
    assert clip.masks[0, 1].sum() == 16 * 16
    assert clip.masks[0, 0].sum() == 8 * 16
    assert tuple(clip.boxes[0, 0]) == (12, 12, 20, 28)


def test_mismatched_track_lengths_are_an_error():
    rng = np.random.default_rng(0)
    track = motion_track(pick_glyph(1, rng), 1, 'static', 5, 32, 32, rng)
    with pytest.raises(ValueError, match='track 0 has 5 frames, the clip 6'):
        render_clip([track], make_background(32, 32, rng), num_frames=6)


def _alpha_over_the_whole_image(glyph, center, size, angle, height, width):
    """The reference: the same inverse mapping evaluated at every pixel."""
    from dlm_core.demo.render import sample_glyph

    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    return sample_glyph(glyph, xx, yy, center, size, angle)


def test_windowed_glyph_equals_the_whole_image_computation():
    from dlm_core.demo import glyph_alpha

    rng = np.random.default_rng(0)
    glyph = load_digit_glyphs()[8][0]
    for _ in range(100):
        center, size, angle = rng.uniform(-10, 130, 2), rng.uniform(4, 100), rng.uniform(-180, 180)
        expected = _alpha_over_the_whole_image(glyph, center, size, angle, 120, 110)
        assert np.array_equal(glyph_alpha(glyph, center, size, angle, 120, 110), expected)

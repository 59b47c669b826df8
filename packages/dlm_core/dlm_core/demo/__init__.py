"""The task-neutral moving-digit renderer of the embedded demo benchmark (docs/method.md §3).

Real handwritten digits (scikit-learn's) moving, turning, growing, appearing and
overlapping on textured backgrounds; every label (class, box, mask, instance, motion) is
known by construction. Each task package writes its own labels and format on top.
"""

from .backgrounds import BACKGROUND_STYLES, make_background, random_background
from .glyphs import load_digit_glyphs, pick_glyph
from .render import MASK_THRESHOLD, RenderedClip, glyph_alpha, render_clip
from .tracks import MOTIONS, DigitTrack, bright_color, motion_track

__all__ = [
    'BACKGROUND_STYLES',
    'MASK_THRESHOLD',
    'MOTIONS',
    'DigitTrack',
    'RenderedClip',
    'bright_color',
    'glyph_alpha',
    'load_digit_glyphs',
    'make_background',
    'motion_track',
    'pick_glyph',
    'random_background',
    'render_clip',
]

"""Real handwritten digits for the embedded demo benchmark (scikit-learn's 8x8 digits).

scikit-learn ships the 1,797 images inside its wheel, so the demo data is built from real
handwriting without any download.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=1)
def load_digit_glyphs() -> dict[int, np.ndarray]:
    """``{digit: (n, 8, 8) float32 in [0, 1]}`` for the digits 0-9."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as err:  # the optional extra of dlm_core
        raise ImportError(
            "the demo renderer draws scikit-learn's digits: "
            'pip install "dlm-core[demo]" (or scikit-learn)'
        ) from err
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)
    return {d: images[digits.target == d] for d in range(10)}


def pick_glyph(digit: int, rng: np.random.Generator, writers: slice | None = None) -> np.ndarray:
    """One handwritten ``digit``; ``writers`` selects a subset of the samples (a "style"),
    so held-out demo sets can be written by other hands than the training sets."""
    samples = load_digit_glyphs()[int(digit)]
    if writers is not None:
        samples = samples[writers]
    return samples[rng.integers(len(samples))]

"""Drawing a task model's predictions on a raw video: the task-neutral part.

``tools/visualize.py`` decodes the video and builds the model; each task package adds a
:class:`TaskViewer` (registered with :func:`register_viewer` for its plugin class) that
turns the video into that model's input, runs it and draws what it predicted: labels,
boxes or masks on frames (``panels``), or a timeline ``strip``. What every viewer shares
lives here: the video handle, the result, class names, colours, a text box and the
timeline of predicted against true segments. Only numpy and MMEngine's ``Visualizer``
(which draws text and shapes) are used, so the core stays free of video decoders.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from mmengine.visualization import Visualizer

__all__ = [
    'RawVideo',
    'TaskViewer',
    'ViewResult',
    'draw_text_box',
    'find_viewer',
    'palette',
    'register_viewer',
    'timeline_strip',
]


@dataclass
class RawVideo:
    """A video file as the viewers see it.

    ``read(indices, max_side)`` returns frames ``(N, H, W, 3)`` uint8 RGB (decoded once, in
    order); ``features(extractor)`` runs a frames-to-features module over the whole video
    in bounded memory and returns ``(C, T')``.
    """

    path: str
    name: str
    num_frames: int
    fps: float
    height: int
    width: int
    read: Callable[..., np.ndarray]
    features: Callable[..., np.ndarray]


@dataclass
class ViewResult:
    """What a viewer drew: annotated frames and/or a timeline, and a one-line summary."""

    panels: list[np.ndarray] = field(default_factory=list)
    strip: np.ndarray | None = None
    summary: str = ''
    #: the video frame each panel shows
    panel_frames: list[int] = field(default_factory=list)
    #: what was predicted, in the original frame's pixels (for callers and tests)
    predictions: list = field(default_factory=list)


class TaskViewer:
    """Base of the viewers of one task plugin class.

    Args:
        model: a ``dlm.MultiTaskPromptModel`` (single task: no mapper) in eval mode;
            ``model(inputs, data_samples, mode='predict')`` predicts, ``model.primary`` is
            the plugin.
        cfg: the run config (its test pipeline, dataset and classes).
        classes: the class names of the model's head, in its order.
        score_thr: predictions below this score are not drawn.
        num_panels: frames shown.
    """

    def __init__(self, model, cfg, classes: Sequence[str], score_thr=0.3, num_panels=4):
        self.model = model
        self.plugin = model.primary
        self.cfg = cfg
        self.classes = list(classes)
        self.score_thr = float(score_thr)
        self.num_panels = int(num_panels)

    def class_name(self, index: int) -> str:
        index = int(index)
        return self.classes[index] if 0 <= index < len(self.classes) else f'class {index}'

    def panel_frames(self, video: RawVideo) -> list[int]:
        """``num_panels`` frame indices spread evenly over the video (segment centres)."""
        step = video.num_frames / self.num_panels
        return [min(video.num_frames - 1, int(step * (i + 0.5))) for i in range(self.num_panels)]

    def run(self, video: RawVideo, gt: str | None = None) -> ViewResult:
        raise NotImplementedError(f'{type(self).__name__} must implement run')


_VIEWERS: dict[type, type] = {}


def register_viewer(plugin_class: type):
    """Class decorator: the viewer of ``plugin_class`` (and of its subclasses)."""

    def register(viewer: type) -> type:
        _VIEWERS[plugin_class] = viewer
        return viewer

    return register


def find_viewer(plugin) -> type | None:
    for klass in type(plugin).__mro__:
        if klass in _VIEWERS:
            return _VIEWERS[klass]
    return None


def palette(index: int) -> tuple[int, int, int]:
    """A distinct, saturated RGB colour per index (golden-ratio hues)."""
    hue = (index * 0.618033988749895) % 1.0
    h6 = hue * 6
    c, x = 230, int(230 * (1 - abs(h6 % 2 - 1)))
    rgb = [(c, x, 0), (x, c, 0), (0, c, x), (0, x, c), (x, 0, c), (c, 0, x)][int(h6) % 6]
    return tuple(int(v) + 20 for v in rgb)


def _visualizer(image: np.ndarray) -> Visualizer:
    vis = Visualizer.__new__(Visualizer)  # not the process-wide instance: no name clash
    Visualizer.__init__(vis, name=f'dlm_draw_{id(vis)}')
    vis.set_image(image)
    return vis


def draw_text_box(image: np.ndarray, lines: Sequence[str], font_size: int = 10) -> np.ndarray:
    """``lines`` in white on a dark box in the top-left corner of a copy of ``image``."""
    out = image.copy()
    height = int(font_size * 1.5 * len(lines) + 4)
    width = int(max((len(line) for line in lines), default=0) * font_size * 0.62 + 6)
    out[:height, :width] = (out[:height, :width] * 0.35).astype(np.uint8)
    vis = _visualizer(out)
    for row, line in enumerate(lines):
        vis.draw_texts(
            line,
            np.array([3, 2 + row * font_size * 1.5]),
            font_sizes=font_size,
            colors='white',
            font_families='monospace',
        )
    return vis.get_image()


def timeline_strip(
    rows: Sequence[tuple[str, Sequence[tuple[float, float, int]]]],
    duration: float,
    classes: Sequence[str],
    width: int = 640,
    row_height: int = 18,
) -> np.ndarray:
    """A strip with one bar per row (e.g. ``('predicted', segments)``, ``('truth', ...)``):
    each segment ``(start_s, end_s, class)`` coloured by class, a time axis in seconds and
    a legend of the classes that occur."""
    label_w, gap = 70, 4
    used = sorted({int(c) for _, segments in rows for *_, c in segments})
    legend_rows = -(-len(used) // 4) if used else 0
    height = gap + len(rows) * (row_height + gap) + 16 + legend_rows * 14 + gap
    image = np.full((height, width, 3), 255, np.uint8)
    span = width - label_w - gap
    scale = span / max(duration, 1e-6)
    for r, (_, segments) in enumerate(rows):
        top = gap + r * (row_height + gap)
        image[top : top + row_height, label_w : label_w + span] = 235
        for start, end, cls in segments:
            x0 = label_w + int(np.clip(start, 0, duration) * scale)
            x1 = label_w + max(int(np.clip(end, 0, duration) * scale), x0 - label_w + 1)
            image[top : top + row_height, x0:x1] = palette(int(cls))
    vis = _visualizer(image)
    for r, (name, _) in enumerate(rows):
        top = gap + r * (row_height + gap)
        vis.draw_texts(name, np.array([2, top + 3]), font_sizes=9, colors='black')
    axis_y = gap + len(rows) * (row_height + gap)
    ticks = _ticks(duration)
    for t in ticks:
        x = label_w + t * scale
        vis.draw_texts(f'{t:g}s', np.array([x, axis_y]), font_sizes=8, colors='black')
    for i, cls in enumerate(used):
        x, y = 4 + (i % 4) * (width // 4), axis_y + 16 + (i // 4) * 14
        vis.draw_bboxes(
            np.array([x, y + 2, x + 10, y + 11]),
            edge_colors=palette(cls),
            face_colors=palette(cls),
            alpha=1.0,
        )
        name = classes[cls] if 0 <= cls < len(classes) else f'class {cls}'
        vis.draw_texts(name, np.array([x + 14, y]), font_sizes=8, colors='black')
    return vis.get_image()


def _ticks(duration: float) -> list[float]:
    for step in (1, 2, 5, 10, 20, 30, 60, 120, 300, 600):
        if duration / step <= 8:
            break
    return [float(t) for t in np.arange(0, duration - 0.5 * step + 1e-9, step)]


def segments_from_labels(labels: np.ndarray, fps: float) -> list[tuple[float, float, int]]:
    """Per-frame class indices -> ``(start_s, end_s, class)`` runs."""
    labels = np.asarray(labels)
    if labels.size == 0:
        return []
    change = np.flatnonzero(np.diff(labels)) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [labels.size]])
    return [(s / fps, e / fps, int(labels[s])) for s, e in zip(starts, ends)]

"""Classes of the demo recognition sets, and how the held-out sets map onto SSv2's.

Each class is one motion template of :data:`dlm_core.demo.MOTIONS`. The held-out sets
(``ucf101``, ``hmdb51``) name their classes in their own dataset's style, keep a subset of
SSv2's motions and add one motion SSv2 never shows, so zero-shot transfer is measured on
the shared classes and the rest is out of SSv2's vocabulary.
"""

from __future__ import annotations

#: ``{set: [(class name, motion), ...]}``; the position is the 0-based label.
DEMO_CLASSES: dict[str, list[tuple[str, str]]] = {
    'ssv2': [
        ('Pushing something from right to left', 'left'),
        ('Pushing something from left to right', 'right'),
        ('Moving something up', 'up'),
        ('Moving something down', 'down'),
        ('Approaching something with your camera', 'grow'),
        ('Moving away from something with your camera', 'shrink'),
        ('Rotating something clockwise', 'turn_cw'),
        ('Rotating something counterclockwise', 'turn_ccw'),
        ('Uncovering something', 'appear'),
        ('Covering something', 'vanish'),
    ],
    'ucf101': [
        ('MoveLeft', 'left'),
        ('MoveRight', 'right'),
        ('MoveUp', 'up'),
        ('MoveDown', 'down'),
        ('ZoomIn', 'grow'),
        ('StandStill', 'static'),
    ],
    'hmdb51': [
        ('turn_clockwise', 'turn_cw'),
        ('turn_counterclockwise', 'turn_ccw'),
        ('appear', 'appear'),
        ('disappear', 'vanish'),
        ('stand', 'static'),
    ],
}


def class_names(name: str) -> list[str]:
    """The class names of demo set ``name``, in label order."""
    return [cls for cls, _ in DEMO_CLASSES[name]]


def correspondence(name: str, reference: str = 'ssv2') -> dict[str, str | None]:
    """``{class of name: class of reference with the same motion, or None}``."""
    by_motion = {motion: cls for cls, motion in DEMO_CLASSES[reference]}
    return {cls: by_motion.get(motion) for cls, motion in DEMO_CLASSES[name]}


def label_correspondence(name: str, reference: str = 'ssv2') -> dict[int, int]:
    """``{label in name: label in reference}`` for the shared classes only."""
    ref = {motion: index for index, (_, motion) in enumerate(DEMO_CLASSES[reference])}
    return {
        index: ref[motion] for index, (_, motion) in enumerate(DEMO_CLASSES[name]) if motion in ref
    }

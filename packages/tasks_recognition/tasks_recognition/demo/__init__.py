"""Demo action recognition sets (SSv2 / UCF101 / HMDB51 formats) drawn from moving digits.

The writer is :func:`tasks_recognition.demo.action_recognition.write_demo` (also a CLI:
``python -m tasks_recognition.demo.action_recognition --root data/demo``).
"""

from .classes import DEMO_CLASSES, class_names, correspondence, label_correspondence

__all__ = ['DEMO_CLASSES', 'class_names', 'correspondence', 'label_correspondence']

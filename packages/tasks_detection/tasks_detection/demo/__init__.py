"""Demo sets of the detection tasks, written in the real datasets' layouts (docs/method.md §3).

``python -m tasks_detection.demo.thumos14 --root data/demo``,
``python -m tasks_detection.demo.ava --root data/demo`` and
``python -m tasks_detection.demo.imagenet_vid --root data/demo``.
"""

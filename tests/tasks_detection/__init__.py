"""Tests of tasks_detection: AVA, THUMOS14 and ImageNet VID data, metrics, plugins, runs."""

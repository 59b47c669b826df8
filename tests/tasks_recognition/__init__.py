"""Tests of tasks_recognition: video datasets, decoding, the plugin, the foundation model."""

"""Tests of tasks_segmentation: action segmentation and video instance segmentation."""

"""Shared fixtures: the toy task plugin is importable as ``toy_task`` from every test."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

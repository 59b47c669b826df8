"""Shared test set-up: ``toy_task`` is importable from every test, and each test starts
without an MMEngine default scope (a Runner of an earlier test leaves its scope behind as
the process-wide current one, so plain names would resolve in that scope) and ends with
torch's thread count as it found it (demo configs set one thread through a hook)."""

import os
import sys

import pytest
import torch
from mmengine.registry import DefaultScope

sys.path.insert(0, os.path.dirname(__file__))


@pytest.fixture(autouse=True)
def no_default_scope_from_earlier_tests():
    DefaultScope._instance_dict.clear()
    yield


@pytest.fixture(autouse=True)
def torch_threads_restored():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)

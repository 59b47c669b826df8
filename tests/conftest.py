"""Shared test set-up: each test starts without an MMEngine default scope (a Runner of an
earlier test leaves its scope behind as the process-wide current one, so plain names would
resolve in that scope) and ends with torch's thread count as it found it (demo configs set
one thread through a hook). The helpers the tests share are the package ``tests.helpers``."""

import pytest
import torch
from mmengine.registry import DefaultScope


@pytest.fixture(autouse=True)
def no_default_scope_from_earlier_tests():
    DefaultScope._instance_dict.clear()
    yield


@pytest.fixture(autouse=True)
def torch_threads_restored():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)

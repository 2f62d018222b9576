"""Fixtures shared by the test modules at this level."""

import pytest
import torch

from lrcourse.train import one_cpu_thread


@pytest.fixture
def one_torch_thread():
    """Run plain torch loops as the trainer does: on one thread (tiny matmuls, busy 2-core box)."""
    with one_cpu_thread(torch.device("cpu")):
        yield

"""Fixtures shared by the test modules at this level."""

import pytest
import torch

from lrcourse.train.loop import one_cpu_thread
from tests.sandbox.helpers import adopt_orphans


@pytest.fixture(scope="session", autouse=True)
def _adopt_orphans():
    """Keep every sandbox process this session starts its descendant (see ``sandbox_processes``)."""
    adopt_orphans()
    yield
    adopt_orphans(False)


@pytest.fixture
def one_torch_thread():
    """Run plain torch loops as the trainer does: on one thread (tiny matmuls, busy 2-core box)."""
    with one_cpu_thread(torch.device("cpu")):
        yield

"""A run that ends on its CPU limit is reported as such, even when wait4's figure lags the kernel's."""

import signal

import pytest

from lrcourse.sandbox._watch import hit_cpu_limit

LIMIT = 1.0


@pytest.mark.parametrize(
    ("code", "cpu_s", "expected"),
    [
        (-signal.SIGXCPU, 1.001, True),  # the soft limit, as measured alone
        (-signal.SIGXCPU, 0.85, True),  # billed by ticks ahead of wait4's precise time
        (-signal.SIGXCPU, 0.05, False),  # os.kill(os.getpid(), SIGXCPU): the code's own doing
        (-signal.SIGKILL, 2.0, True),  # the hard limit, one second later
        (-signal.SIGKILL, 0.3, False),  # killed early, not by its CPU limit
        (-signal.SIGSEGV, 1.5, False),
        (0, 1.5, False),
    ],
)
def test_cpu_limit_verdict(code: int, cpu_s: float, expected: bool) -> None:
    assert hit_cpu_limit(code, cpu_s, LIMIT) is expected

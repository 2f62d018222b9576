"""No connection leaves a sandboxed run: the server lives in an empty network namespace."""

from __future__ import annotations

import socket

import pytest

from lrcourse.sandbox.pool import Limits, Probe, Sandbox

LIMITS = Limits(wall_s=2.0, cpu_s=1.0, memory_mb=256, processes=8, output_bytes=10_000)


def test_a_run_cannot_reach_a_service_of_this_machine() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener, Sandbox() as box:
        if box.ensure_ready() not in ("namespace+uid", "namespace"):
            pytest.fail(f"expected network isolation here (root, as in CI); got {box.isolation!r}")
        port = listener.getsockname()[1]
        source = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1)\n"
        result = box.run(source, Probe(), LIMITS)
        control = socket.create_connection(("127.0.0.1", port), timeout=1)  # the grader can
        control.close()
    assert result.status == "error"
    assert "Network is unreachable" in result.reason

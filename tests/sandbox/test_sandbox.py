"""The sandbox contains hostile code and reports what it did; the grader never crashes."""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch

from lrcourse.sandbox.pool import Limits, Probe, Sandbox
from tests.sandbox.helpers import SANDBOX_UID_BASE, sandbox_processes

LIMITS = Limits(wall_s=1.0, cpu_s=1.0, memory_mb=256, processes=8, output_bytes=10_000)
AS_ROOT = os.geteuid() == 0


@pytest.fixture(scope="module")
def secret_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("keys")
    (folder / "key.yaml").write_text("answer: the-secret-key-7f3a\n")
    return folder


@pytest.fixture(scope="module")
def box(secret_dir: Path):
    os.environ["LRCOURSE_TEST_SECRET"] = "env-secret-91c2"
    try:
        with Sandbox(hide=[secret_dir]) as sandbox:
            yield sandbox
    finally:
        del os.environ["LRCOURSE_TEST_SECRET"]


def test_a_call_probe_returns_the_value(box: Sandbox) -> None:
    result = box.run("def answer():\n    return [1, 2.5, 'x']\n", Probe("call", "answer"), LIMITS)
    assert result.ok, result.reason
    assert result.value == [1, 2.5, "x"]


def test_a_scheduler_trace_matches_a_plain_torch_loop(box: Sandbox) -> None:
    source = (
        "import torch\n"
        "def make_scheduler(optimizer):\n"
        "    return torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)\n"
    )
    probe = Probe("trace_scheduler", "make_scheduler", {"trace": {"epochs": 6, "lr": 0.1}})
    result = box.run(source, probe, LIMITS)
    assert result.ok, result.reason
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    expected = []
    for _ in range(6):
        expected.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert result.value["lrs"][0] == pytest.approx(expected)


def test_an_infinite_loop_is_stopped_by_the_wall_clock(box: Sandbox) -> None:
    start = time.monotonic()
    result = box.run("while True:\n    pass\n", Probe(), LIMITS)
    assert result.status in ("timeout", "cpu-limit")
    assert time.monotonic() - start < LIMITS.wall_s + 1.0


def test_a_memory_bomb_hits_the_memory_limit(box: Sandbox) -> None:
    result = box.run(
        "blocks = []\nwhile True:\n    blocks.append(bytearray(10**8))\n", Probe(), LIMITS
    )
    assert result.status == "memory-limit"


def test_printing_past_the_cap_stops_the_run(box: Sandbox) -> None:
    result = box.run("print('x' * 100_000_000)\n", Probe(), LIMITS)
    assert result.status == "output-limit"
    assert len(result.stdout) <= LIMITS.output_bytes


def test_sys_exit_and_os_exit_are_reported_not_obeyed(box: Sandbox) -> None:
    assert box.run("import sys\nsys.exit(0)\n", Probe(), LIMITS).status == "error"
    assert box.run("import os\nos._exit(0)\n", Probe(), LIMITS).status == "no-result"


def test_a_message_written_to_every_descriptor_is_flagged_as_forged(box: Sandbox) -> None:
    source = (
        "import os\n"
        "for fd in range(3, 1024):\n"
        "    try:\n"
        '        os.write(fd, b\'{"nonce": "guess", "status": "ok", "value": 42}\\n\')\n'
        "    except OSError:\n"
        "        pass\n"
        "def answer():\n"
        "    return 42\n"
    )
    result = box.run(source, Probe("call", "answer"), LIMITS)
    assert result.status == "forged"
    assert result.value is None


def test_hidden_files_and_the_grader_environment_are_out_of_reach(
    box: Sandbox, secret_dir: Path
) -> None:
    source = (
        "import os\n"
        f"try:\n    print(open({str(secret_dir / 'key.yaml')!r}).read())\n"
        "except OSError as exc:\n    print('refused', type(exc).__name__)\n"
        "print(dict(os.environ))\n"
        f"try:\n    print(open('/proc/{os.getpid()}/environ').read())\n"
        "except OSError as exc:\n    print('refused', type(exc).__name__)\n"
    )
    result = box.run(source, Probe(), LIMITS)
    assert result.ok, result.reason
    assert "the-secret-key-7f3a" not in result.stdout
    assert "env-secret-91c2" not in result.stdout
    assert result.stdout.count("refused") == 2


@pytest.mark.skipif(not AS_ROOT, reason="uid drop and RLIMIT_NPROC containment need root")
def test_a_fork_bomb_is_contained_and_leaves_nothing_behind(box: Sandbox) -> None:
    assert box.isolation == "namespace+uid"
    source = (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"  # leaves the process group: only the per-uid kill catches it
        "    time.sleep(1000)\n"
        "while True:\n"
        "    try:\n"
        "        os.fork()\n"
        "    except OSError:\n"
        "        pass\n"
    )
    start = time.monotonic()
    result = box.run(source, Probe(), LIMITS)
    assert time.monotonic() - start < LIMITS.wall_s + 1.0
    assert result.status in ("timeout", "cpu-limit")
    assert sandbox_processes() == []
    after = box.run("def answer():\n    return 'still fine'\n", Probe("call", "answer"), LIMITS)
    assert after.value == "still fine"


def test_run_sandboxed_calls_the_entry_in_a_shared_server() -> None:
    from lrcourse.sandbox.pool import run_sandboxed

    result = run_sandboxed("def answer():\n    return 6 * 7\n", "answer", LIMITS)
    assert (result.status, result.value) == ("ok", 42)
    again = run_sandboxed("import os\ndef answer():\n    return os.getuid()\n", "answer", LIMITS)
    assert again.ok, again.reason
    if AS_ROOT:
        assert again.value >= 2_000_000  # a dedicated unprivileged uid, not the grader's


def _sleeper_as_sandbox_uid(ready_w: int) -> int:
    """Fork a child that drops to a sandbox uid, says so on ``ready_w`` and sleeps; return its pid."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child sleeps until it is killed
        try:
            uid = SANDBOX_UID_BASE + 999_000 + os.getpid() % 1000
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            os.write(ready_w, b"x")
            time.sleep(60)
        finally:
            os._exit(0)
    return pid


@pytest.mark.skipif(not AS_ROOT, reason="dropping to a sandbox uid needs root")
def test_sandbox_processes_sees_its_own_descendants_only() -> None:
    ready_r, ready_w = os.pipe()
    mine = _sleeper_as_sandbox_uid(ready_w)
    other_root = os.fork()
    if other_root == 0:  # pragma: no cover - a stand-in for another grader's process tree
        try:
            os.waitpid(_sleeper_as_sandbox_uid(ready_w), 0)
        finally:
            os._exit(0)
    assert os.read(ready_r, 1) + os.read(ready_r, 1) == b"xx"
    [theirs] = sandbox_processes(root=other_root)
    try:
        assert mine in sandbox_processes()
        assert mine not in sandbox_processes(root=other_root)
        assert sandbox_processes(root=mine) == []  # a process is not its own descendant
    finally:
        for pid in (mine, other_root, theirs):  # theirs: adopted by this process meanwhile
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(ready_r)
        os.close(ready_w)
    assert sandbox_processes() == []


@pytest.mark.skipif(not AS_ROOT, reason="the sandbox uid is dropped to only as root")
def test_a_run_ends_with_a_server_killed_mid_run(secret_dir: Path) -> None:
    sandbox = Sandbox(hide=[secret_dir])
    assert sandbox.isolation == "namespace+uid"
    slow = Limits(wall_s=30.0, cpu_s=30.0, memory_mb=256, processes=8, output_bytes=10_000)
    with ThreadPoolExecutor(max_workers=1) as executor:
        pending = executor.submit(sandbox.run, "import time\ntime.sleep(60)\n", Probe(), slow)
        deadline = time.monotonic() + 10
        while not sandbox_processes() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(sandbox_processes()) == 1
        os.kill(sandbox._pid, signal.SIGKILL)  # the server dies mid-run
        assert pending.result().status == "sandbox-error"
    sandbox.close()
    deadline = time.monotonic() + 5  # the supervisor, then the run, die with their parent
    while sandbox_processes() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sandbox_processes() == []


def test_the_server_keeps_ld_library_path_and_nothing_else_of_the_graders(monkeypatch) -> None:
    # An interpreter with a shared libpython in its own prefix cannot start without it.
    from lrcourse.sandbox.pool import _stripped_environment

    monkeypatch.setenv("LD_LIBRARY_PATH", "/opt/python/lib")
    monkeypatch.setenv("LRCOURSE_TEST_SECRET", "env-secret-91c2")
    env = _stripped_environment()
    assert env["LD_LIBRARY_PATH"] == "/opt/python/lib"
    assert "LRCOURSE_TEST_SECRET" not in env and "HOME" not in env

"""Watch one sandbox run: wall clock, output caps, what it left, and what its ending means.

Used by the per-run supervisor (``_zygote.py``): :func:`supervise` waits for the run within
its limits, reads what it printed and reported, and kills whatever it left (only an unsealed run
can leave anything); :func:`verdict_of_run` turns that into a status, a reason and the observed
value: data about the run, never a verdict on the answer.

Standard library only: the sandbox server imports it.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import time

#: Most bytes of observations a run may report (more ends it).
RESULT_CAP = 1 << 20


def _kill_uid(uid: int) -> None:
    """Kill every process running as ``uid`` (children that escaped the process group)."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setresuid(uid, uid, uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def _children() -> list[int]:
    """Return the child processes of every thread of this process."""
    pids: list[int] = []
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/children") as f:
                pids += [int(pid) for pid in f.read().split()]
        except FileNotFoundError:  # a thread that just ended
            continue
    return pids


def _kill_orphans(patience_s: float = 2.0) -> None:
    """SIGKILL and reap every child (not the clones) until none is left.

    Everything was sent SIGKILL already where root could; this also covers running without
    root, and returns within milliseconds unless a process is stuck in the kernel.
    """
    deadline = time.monotonic() + patience_s
    while time.monotonic() < deadline:
        pids = _children()
        if not pids:
            return
        for pid in pids:
            for kill in (os.killpg, os.kill):
                with contextlib.suppress(OSError):
                    kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
        time.sleep(0.001)


def supervise(pid: int, uid: int | None, header: dict, fds: dict[str, int], sealed: bool) -> dict:
    """Wait for the child within the limits; return what it printed and reported.

    A sealed run leaves nothing (when a PID namespace's init ends, the kernel kills the rest),
    and this process's ``/proc`` is the run's by then: only an unsealed run is searched for
    orphans.
    """
    start = time.monotonic()
    deadline = start + float(header["wall_s"])
    cap = int(header["output_bytes"])
    caps = {"stdout": cap, "stderr": cap, "result": RESULT_CAP}
    data = {name: bytearray() for name in fds}
    pidfd = os.pidfd_open(pid)
    open_fds = {fd: name for name, fd in fds.items()}
    killed = None
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            killed = "timeout"
            break
        ready, _, _ = select.select([*open_fds, pidfd], [], [], left)
        if pidfd in ready and not (set(ready) & set(open_fds)):
            break
        for fd in ready:
            if fd == pidfd:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                del open_fds[fd]
                continue
            name = open_fds[fd]
            data[name] += chunk
            if len(data[name]) > caps[name]:
                killed = "output-limit" if name != "result" else "result-limit"
        if killed:
            break
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    _, wait_status, usage = os.wait4(pid, 0)
    os.close(pidfd)
    # Orphans of the run (even ones that left the process group) are re-parented to this server,
    # a subreaper; only when there are some is the per-uid kill (a fork, ~10 ms) needed.
    if not sealed and _children():
        if uid is not None:
            _kill_uid(uid)
        _kill_orphans()
    for fd, name in list(open_fds.items()):  # what was written before the end, without waiting
        os.set_blocking(fd, False)
        try:
            while len(data[name]) <= caps[name] and (chunk := os.read(fd, 65536)):
                data[name] += chunk
        except BlockingIOError:
            pass
    for fd in fds.values():
        os.close(fd)
    return {
        "killed": killed,
        "wall_s": time.monotonic() - start,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "exit_code": os.waitstatus_to_exitcode(wait_status),
        "data": data,
    }


def hit_cpu_limit(code: int, cpu_s: float, limit_s: float) -> bool:
    """Return whether the run ended on its CPU limit (not on a signal it sent itself).

    The kernel bills ``RLIMIT_CPU`` by scheduler ticks, which on a loaded machine run ahead of
    the precise CPU time ``wait4`` reports: a run killed by SIGXCPU (the soft limit) was once
    reported below 0.9 of its limit, with 8 test workers grading on 16 cores. SIGKILL (the hard
    limit, which a sealed run meets at once: it is pid 1 of its namespace, and ignores SIGXCPU)
    lags the same way; the supervisor's own SIGKILLs are told apart before this is asked.
    """
    if code in (-signal.SIGXCPU, -signal.SIGKILL):
        return cpu_s >= 0.5 * limit_s
    return False


#: Statuses the harness may report; anything else in a result message is not the harness's.
HARNESS_STATUSES = ("ok", "error", "syntax-error", "memory-limit", "tampered")


def verdict_of_run(run: dict, header: dict) -> dict:
    """Turn the raw run into a status, a reason and the observed value (data, never a verdict)."""
    data, killed, code = run["data"], run["killed"], run["exit_code"]
    out = {
        "stdout": bytes(data["stdout"][: header["output_bytes"]]).decode("utf-8", "replace"),
        "stderr": bytes(data["stderr"][: header["output_bytes"]]).decode("utf-8", "replace"),
        "wall_s": round(run["wall_s"], 4),
        "cpu_s": round(run["cpu_s"], 4),
        "exit_code": code,
        "value": None,
        "error": None,
    }
    messages = [line for line in bytes(data["result"]).split(b"\n") if line.strip()]
    message = None
    if len(messages) == 1:
        try:
            message = json.loads(messages[0])
        except (ValueError, RecursionError):  # not JSON, or nested past the parser's depth
            message = None
    if not isinstance(message, dict) or message.get("status") not in HARNESS_STATUSES:
        message = None
    if killed == "timeout":
        out.update(status="timeout", reason=f"ran longer than {header['wall_s']} s (wall clock)")
    elif killed == "output-limit":
        out.update(
            status="output-limit", reason=f"printed more than {header['output_bytes']} bytes"
        )
    elif killed == "result-limit":
        out.update(status="output-limit", reason=f"reported more than {RESULT_CAP} bytes")
    elif len(messages) > 1 or (messages and message is None):
        out.update(status="forged", reason="the run wrote a second or malformed result message")
    elif hit_cpu_limit(code, run["cpu_s"], header["cpu_s"]):
        out.update(status="cpu-limit", reason=f"used more than {header['cpu_s']} s of CPU")
    elif message is None:
        how = f"signal {-code}" if code < 0 else f"exit status {code}"
        out.update(status="no-result", reason=f"the process ended ({how}) before it was checked")
    else:
        status = str(message["status"])
        out.update(status=status, value=message.get("value"), error=message.get("error"))
        if status == "memory-limit":
            out["reason"] = f"ran out of memory (limit {header['memory_mb']} MB)"
        elif status == "ok":
            out["reason"] = ""
        else:
            out["reason"] = str(message.get("error"))[:2000]
    return out

"""Run untrusted student code in a sealed process and return what it did, never a verdict.

How a submission is contained (the walls are in ``_confine.py``, the per-run processes in
``_zygote.py``, the reasoning about the result channel in ``_harness.py``):

* **Fresh interpreter, not a fork of the grader.** :class:`Sandbox` starts ``python -I _zygote.py``
  with a stripped environment. It imports torch once and forks one process per run, so no run
  inherits the grader's memory, answer keys, reference solutions or environment variables.
  A :class:`SandboxPool` starts one server and forks its siblings from it (never from the
  grader), so the torch start-up is paid once, not once per core.
* **Observations out, nothing decisive in.** A request carries the code and the probe (what to
  call, with which settings); the answer is what was observed. Keys, references, expected
  values and verdicts stay with the caller, which draws probe settings per run and judges in
  its own process (``lrcourse.grading.grader``, ``lrcourse.quiz.check``).
* **A sealed world, the same as root and as an ordinary user.** The server's view is read-only
  and built from an allow-list (``_confine.SYSTEM_PATHS``): the system's library folders
  (``/usr/lib*``, ``/usr/bin``), a few ``/etc`` files the loader reads, the interpreter, its
  packages and the ``lrcourse`` package. Every other path of every top-level folder is gone
  (``/usr/local``, ``/usr/share``, ``/opt``, ``/srv``, ``/var``, ``/tmp``, homes): the
  instructor's working folder, exports, gradebooks, manifests, banks and submissions are not
  there, wherever they live; ``hide`` covers anything else the caller names. ``/dev`` holds
  only ``null``, ``zero``, ``full``, ``random`` and ``urandom`` (bubblewrap's ``--dev`` less its
  terminals): no ``tty``, ``pts`` or ``ptmx`` to write into the grader's screen through.
* **Namespaces of its own per run** (what bubblewrap's ``--unshare-all --new-session`` gives a
  process): each run is pid 1 of its own PID namespace with its own ``/proc``; in its own IPC
  namespace (System V shared memory, semaphores, message queues, POSIX queues), capped at
  ``temp_bytes`` of shared memory and freed with it; in its own network namespace (no abstract
  Unix socket of the grader's or of another run, no interface but a loopback that is down); in
  its own UTS and cgroup namespaces and session, with no controlling terminal; with private, capped, empty
  ``/tmp``, ``/var/tmp`` and ``/dev/shm`` that vanish with it. It joins a new, empty session
  keyring and may not call ``add_key``, ``request_key`` or ``keyctl`` (kernel keys are not
  namespaced), and ``/proc/keys`` is masked. It has no capabilities and may not make a user
  namespace (``_fence``), so it cannot gain any.
* **Who it runs as.** As root the level is ``"namespace+uid"``: each server also has a dedicated
  unprivileged uid (``2_000_000 + server pid``) that its runs drop to, so ``RLIMIT_NPROC``
  holds and set-uid binaries cannot give it back (``PR_SET_NO_NEW_PRIVS``). As an ordinary user
  it is ``"namespace"``: the same walls, built in an unprivileged user namespace whose mounts
  are locked, the run being root of that namespace only. Where the kernel refuses namespaces,
  ``"uid-only"`` (root without ``CAP_SYS_ADMIN``) or ``"limits-only"`` say what is left: the
  limits, the uid (root), the key fence and a session without a terminal, but none of the
  walls above; the grader prints the level.
* **Memory with nothing of other runs.** The server never reads a run's code or output: a
  per-run supervisor process does, and exits with the run. Every run is forked from the same
  clean server.
* **Limits.** wall clock (the supervisor kills the run), ``RLIMIT_CPU``, ``RLIMIT_AS`` (on top
  of what the warm interpreter already maps), ``RLIMIT_NPROC``, ``RLIMIT_FSIZE``,
  ``RLIMIT_NOFILE``, at most ``output_bytes`` of stdout and of stderr (more kills the run),
  ``temp_bytes`` in each private temporary folder.
* **Nothing left behind.** When a run ends, the kernel kills what it started (its PID
  namespace) and frees what it wrote (its tmpfs mounts); there is no folder for the grader to
  delete. In the degraded levels a folder on disk is used and removed with
  :func:`~lrcourse.sandbox._cleanup.remove_tree`, which never raises.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from queue import Queue
from typing import Any, BinaryIO, Literal

from lrcourse.errors import LRCourseError
from lrcourse.sandbox._cleanup import remove_tree

ProbeKind = Literal["run", "call", "expression", "trace_scheduler", "lab"]
Status = Literal[
    "ok",
    "error",
    "syntax-error",
    "timeout",
    "cpu-limit",
    "memory-limit",
    "output-limit",
    "no-result",
    "forged",
    "sandbox-error",
]
_ZYGOTE = Path(__file__).with_name("_zygote.py")


class SandboxError(LRCourseError, RuntimeError):
    """The sandbox server could not be started (the grader's problem, not the student's)."""


@dataclass(frozen=True)
class Limits:
    """What one run may use. ``memory_mb`` is on top of the warm interpreter's own mappings."""

    wall_s: float = 2.0
    cpu_s: float = 2.0
    memory_mb: int = 512
    processes: int = 16
    output_bytes: int = 65_536
    file_bytes: int = 1 << 20
    #: Size of each private temporary folder of a run (``/tmp``, ``/var/tmp``, ``/dev/shm``), and
    #: the most System V shared memory it may hold (sealed levels).
    temp_bytes: int = 8 << 20


@dataclass(frozen=True)
class Probe:
    """What the harness does after running the student's code, and what it reports back.

    * ``run``: nothing; the observation is what the code printed.
    * ``call``: ``value = namespace[entry](*args["args"], **args["kwargs"])``.
    * ``expression``: ``value = eval(args["expression"], namespace)`` (an expression the question
      author wrote, e.g. ``"sched.get_last_lr()"``).
    * ``trace_scheduler``: ``lrcourse.trace_scheduler(lambda opt: namespace[entry](opt,
      **args["kwargs"]), **args["trace"])``; value ``{"lrs", "final_lrs", "warnings"}``.
    * ``lab``: ``run_job({**args["job"], "source": <the code>})`` of the module named
      ``args["runner"]``, which must be one the server was started to ``preload``; the sandbox
      knows nothing of what that module observes.
    """

    kind: ProbeKind = "run"
    entry: str | None = None
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SandboxResult:
    """What a run did: its status, why, the probe's value and (capped) printed output."""

    status: Status
    reason: str = ""
    value: Any = None
    error: str | None = None
    stdout: str = ""
    stderr: str = ""
    wall_s: float = 0.0
    cpu_s: float = 0.0
    exit_code: int | None = None
    isolation: str = ""
    #: Seconds from sending the run to its answer, measured by the grader (includes the cleanup).
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        """Return True when the code and the probe ran to the end without an error."""
        return self.status == "ok"


def _stripped_environment() -> dict[str, str]:
    """Return the server's environment: nothing of the grader's but what starts the interpreter.

    ``LD_LIBRARY_PATH`` is kept when set: an interpreter built with a shared ``libpython`` in
    its own prefix (some pyenv, conda or module-system installs) cannot start without it. It
    names folders, not secrets; runs get an environment of their own anyway.
    """
    keep = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0"}
    keep["OMP_NUM_THREADS"] = "1"
    keep["MKL_NUM_THREADS"] = "1"
    if os.environ.get("LD_LIBRARY_PATH"):
        keep["LD_LIBRARY_PATH"] = os.environ["LD_LIBRARY_PATH"]
    return keep


def _with_git_dirs(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """Return ``paths`` plus the ``.git`` folder of any repository holding one of them."""
    out: list[str] = []
    for raw in paths:
        path = Path(raw).resolve()
        out.append(str(path))
        for parent in [path, *path.parents]:
            if (parent / ".git").exists():
                out.append(str(parent / ".git"))
                break
    return sorted(set(out))


class Sandbox:
    """One sandbox server; :meth:`run` executes one submission's code at a time (thread-safe).

    The channel to the server is a Unix socket. :meth:`clone` asks a warm server to fork a
    sibling on a new socket (sent with ``SCM_RIGHTS``): a copy of a fresh, key-free interpreter
    that is ready in milliseconds instead of importing torch again.
    """

    def __init__(
        self,
        hide: Iterable[str | os.PathLike[str]] = (),
        python: str = sys.executable,
        *,
        wait: bool = True,
        preload: Sequence[str] = (),
    ) -> None:
        self._hide = _with_git_dirs(hide)
        self._preload = list(preload)
        self._python = python
        self._lock = threading.Lock()
        self._tmp = tempfile.mkdtemp(prefix="lrcourse-sandbox-")
        self._owns_tmp = True
        os.chmod(self._tmp, 0o711)
        self._proc: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None
        self._reader: BinaryIO | None = None
        self._pid: int | None = None
        self.isolation = ""
        self._start()
        if wait:
            self._ready()

    def _start(self) -> None:
        """Spawn the server and send its configuration; :meth:`_ready` waits for it to be up."""
        mine, theirs = socket.socketpair()
        with theirs:
            self._proc = subprocess.Popen(
                [self._python, "-I", str(_ZYGOTE)],
                stdin=theirs.fileno(),
                stdout=subprocess.DEVNULL,
                env=_stripped_environment(),
                cwd=self._tmp,
                start_new_session=True,
                close_fds=True,
            )
        self._attach(mine, self._proc.pid)
        config = json.dumps(
            {"hide": self._hide, "tmp_root": self._tmp, "preload": self._preload}
        ).encode()
        mine.sendall(b"%010d" % len(config) + config)

    def _attach(self, sock: socket.socket, pid: int) -> None:
        self._sock, self._pid = sock, pid
        self._reader = sock.makefile("rb")
        self.isolation = ""

    def _ready(self) -> None:
        """Wait (once) for the server's ready line: it has imported torch and isolated itself."""
        if self.isolation:
            return
        line = self._readline(timeout=300.0)
        if not line:
            self._kill()
            raise SandboxError(f"the sandbox server ({_ZYGOTE}) did not start")
        self.isolation = json.loads(line)["isolation"]

    def _readline(self, timeout: float) -> bytes:
        assert self._sock is not None and self._reader is not None
        ready, _, _ = select.select([self._sock], [], [], timeout)
        return self._reader.readline() if ready else b""

    def _send(self, header: bytes, body: bytes, fds: Sequence[int] = ()) -> None:
        assert self._sock is not None
        prefix = b"%09d %09d\n" % (len(header), len(body))
        if fds:
            socket.send_fds(self._sock, [prefix], list(fds))
            self._sock.sendall(header + body)
        else:
            self._sock.sendall(prefix + header + body)

    def _kill(self) -> None:
        """Close the channel and kill the server (a fresh one starts on the next run)."""
        if self._reader is not None:
            self._reader.close()
        if self._sock is not None:
            self._sock.close()
        if self._pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
        if self._proc is not None:
            self._proc.wait()
        self._proc, self._sock, self._reader, self._pid = None, None, None, None

    def ensure_ready(self) -> str:
        """Wait until the server is up; return its isolation level."""
        with self._lock:
            if self._sock is None:
                self._start()
            self._ready()
            return self.isolation

    def clone(self) -> Sandbox:
        """Return a sibling server forked from this warm one (same isolation, its own uid)."""
        mine, theirs = socket.socketpair()
        with self._lock, theirs:
            if self._sock is None:
                self._start()
            self._ready()
            self._send(json.dumps({"clone": True}).encode(), b"", [theirs.fileno()])
            line = self._readline(timeout=30.0)
        if not line or "cloned" not in (reply := json.loads(line)):
            mine.close()
            raise SandboxError(f"the sandbox server could not clone itself ({line[:200]!r})")
        twin = object.__new__(Sandbox)
        twin._hide, twin._python, twin._lock = self._hide, self._python, threading.Lock()
        twin._preload = self._preload
        twin._tmp, twin._owns_tmp, twin._proc = self._tmp, False, None
        twin._attach(mine, int(reply["cloned"]))
        twin._ready()
        return twin

    def run(
        self, source: str, probe: Probe | None = None, limits: Limits | None = None
    ) -> SandboxResult:
        """Run ``source`` then ``probe`` in a fresh locked-down child; never raises for its code."""
        probe, limits = probe or Probe(), limits or Limits()
        header = json.dumps(asdict(limits)).encode()
        body = json.dumps({"source": source, "probe": asdict(probe)}).encode()
        with self._lock:
            try:
                if self._sock is None:
                    self._start()
                self._ready()
                sent = time.monotonic()
                self._send(header, body)
                line = self._readline(timeout=limits.wall_s + 10.0)
                elapsed = time.monotonic() - sent
            except (OSError, ValueError, SandboxError) as exc:
                self._kill()
                return SandboxResult("sandbox-error", reason=f"sandbox server failed: {exc}")
            if not line:
                self._kill()
                return SandboxResult("sandbox-error", reason="sandbox server stopped answering")
        try:
            data = json.loads(line)
        except (ValueError, RecursionError) as exc:  # the server writes plain JSON; never expected
            return SandboxResult("sandbox-error", reason=f"unreadable answer: {exc}"[:500])
        data["elapsed_s"] = elapsed
        known = SandboxResult.__dataclass_fields__
        return SandboxResult(**{k: v for k, v in data.items() if k in known})

    def close(self) -> None:
        """Stop the server (nothing to flush: no run is in flight) and remove its folder."""
        self._kill()
        if self._owns_tmp:
            remove_tree(self._tmp)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SandboxPool:
    """``size`` sandbox servers shared by threads: :meth:`run` uses whichever is free.

    One server is started (it imports torch: seconds of CPU); the others are cloned from it as
    soon as it is ready, on a background thread, so the caller can work meanwhile and the
    start-up cost is paid once, not once per core. If cloning fails, fresh servers are started.
    """

    def __init__(
        self,
        size: int | None = None,
        hide: Sequence[str | os.PathLike[str]] = (),
        preload: Sequence[str] = (),
    ):
        self.size = size or os.cpu_count() or 1
        self._preload = tuple(preload)
        self._free: Queue[Sandbox] = Queue()
        first = Sandbox(hide=hide, wait=False, preload=preload)
        self._all = [first]
        self._free.put(first)
        self._grower = threading.Thread(target=self._grow, args=(first, hide), daemon=True)
        self._grower.start()

    def _grow(self, first: Sandbox, hide: Sequence[str | os.PathLike[str]]) -> None:
        for _ in range(self.size - 1):
            try:
                box = first.clone()
            except Exception:  # cloning is an optimisation: fall back to a fresh server
                box = Sandbox(hide=hide, wait=False, preload=self._preload)
            self._all.append(box)
            self._free.put(box)

    @property
    def isolation(self) -> str:
        """Return the isolation level the servers reached (waits for the first to be ready)."""
        return self._all[0].ensure_ready()

    def run(
        self, source: str, probe: Probe | None = None, limits: Limits | None = None
    ) -> SandboxResult:
        """Run on a free server (blocking until one is free); see :meth:`Sandbox.run`."""
        box = self._free.get()
        try:
            return box.run(source, probe, limits)
        finally:
            self._free.put(box)

    def close(self) -> None:
        """Stop every server (clones first: they are the first server's children)."""
        self._grower.join()
        for box in reversed(self._all):
            box.close()

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def sandbox_pool(
    size: int | None = None, hide: Sequence[str | os.PathLike[str]] = ()
) -> Iterator[SandboxPool]:
    """Yield a :class:`SandboxPool` and stop its servers afterwards."""
    pool = SandboxPool(size, hide)
    try:
        yield pool
    finally:
        pool.close()


_default: Sandbox | None = None
_default_lock = threading.Lock()


def run_sandboxed(
    source: str,
    entry: str | None = None,
    limits: Limits | None = None,
    *,
    probe: Probe | None = None,
    hide: Sequence[str | os.PathLike[str]] = (),
) -> SandboxResult:
    """Run ``source`` in a sandbox and return what it did (one-off use; grading uses a pool).

    ``entry`` alone means: call ``entry()`` with no arguments and return its value. A shared
    server is started on first use (about a second: it imports torch once) and reused; pass
    ``hide`` on the first call to hide paths from it.
    """
    global _default
    if probe is None:
        probe = Probe("call", entry) if entry else Probe()
    with _default_lock:
        if _default is None:
            _default = Sandbox(hide=hide)
    return _default.run(source, probe, limits)

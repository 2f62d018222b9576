"""The sandbox server: a fresh interpreter that forks one sealed, locked-down process per run.

Started by :class:`lrcourse.sandbox.pool.Sandbox` as ``python -I _zygote.py`` with a stripped
environment, so it never holds the grader's memory, keys or environment. It seals its view of
the machine once (``_confine.seal_world``: everything read-only, the instructor's folders
gone, no network), imports torch once (the slow part) and then, for each request:

1. forks a **supervisor**, which reads the request's code from the channel (the server never
   does), enters a new PID namespace and forks
2. the **run**: pid 1 of that namespace, with its own ``/proc`` and private, capped ``/tmp``,
   ``/var/tmp`` and ``/dev/shm`` (``_confine.seal_run``); it drops to an unprivileged uid (as
   root), applies resource limits, and runs the harness (``_harness.py``): the code, then the
   probe, then one JSON message of *observations* on the result descriptor.
3. The supervisor enforces the wall clock and output caps, answers the grader with what it saw
   and exits. The server, which only waited, starts the next request from the same clean state:
   no code, output or result of any run ever enters its memory, so none can be inherited.

Only observations come back (values, printed output), never verdicts: the request holds no key,
reference, expected value or secret, and the grader judges in its own process (see ``pool.py``).

Protocol on the server's channel (a Unix socket on fd 0): the parent sends ``b"%09d %09d\\n"``
(header and body lengths), a JSON header (limits) and the JSON body (source and probe); one
JSON line answers. A header ``{"clone": true}`` sent with one socket descriptor
(``SCM_RIGHTS``) forks a sibling server answering on that socket.

Kept import-light and free of ``lrcourse`` imports at module level: it runs as a script.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import importlib.util
import json
import os
import resource
import secrets
import signal
import socket
import sys
import types

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
PR_SET_NO_NEW_PRIVS = 38
PR_SET_CHILD_SUBREAPER = 36
PR_SET_PDEATHSIG = 1
UID_BASE = 2_000_000
MADV_HUGEPAGE, MADV_COLLAPSE = 14, 25
HUGE_PAGE = 1 << 21

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _blocking_ancestor(path: str) -> str | None:
    """Return the highest ancestor of ``path`` that others may not traverse (``/root``), if any."""
    parts = os.path.abspath(path).split(os.sep)[1:]
    for i in range(1, len(parts) + 1):
        ancestor = os.sep + os.path.join(*parts[:i])
        if not os.stat(ancestor).st_mode & 0o001:
            return ancestor
    return None


#: Interpreter prefixes that are the system's own folders, never kept whole (see ``_kept_paths``).
SYSTEM_PREFIXES = frozenset({"/", "/usr", "/usr/local"})


def _kept_paths() -> list[str]:
    """Return the folders the server needs once the world is sealed (see ``_confine``).

    The interpreter's prefixes (but the system's own), its ``sys.path`` folders and the
    ``lrcourse`` package folder.
    A source checkout on ``sys.path`` (it holds ``lrcourse/``) is not kept whole: its tests,
    banks and whatever else lies beside the package stay hidden.
    """
    prefixes = {
        os.path.realpath(p)
        for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)
    }
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # An interpreter installed in the system's own prefix is not kept whole: ``/usr/local`` may
    # hold an instructor's folder too. Its sys.path folders and the system libraries suffice.
    keep = {*(prefixes - SYSTEM_PREFIXES), os.path.realpath(package)}
    for entry in sys.path:
        real = os.path.realpath(entry or ".")
        if not os.path.isdir(real):
            continue
        checkout = os.path.isdir(os.path.join(real, "lrcourse"))
        if checkout and not any(real.startswith(p.rstrip("/") + "/") for p in prefixes):
            continue
        keep.add(real)
    return sorted(keep)


def _isolate(hide: list[str]) -> str:
    """Enter private mount and network namespaces and seal the world; return the isolation level.

    Root does it directly; an ordinary user inside a user namespace of their own, whose mounts
    are then locked (see ``_confine``). Where the kernel refuses, the level says what is left.
    """
    from lrcourse.sandbox import _confine  # the walls (see its docstring)

    interpreter = [os.path.realpath(p) for p in (sys.base_prefix, sys.prefix)]
    keep = _kept_paths()
    if os.geteuid() == 0:
        try:
            _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWNET), "unshare mount namespace")
        except OSError:  # root without CAP_SYS_ADMIN (some containers): no hiding
            readable = not any(_blocking_ancestor(p) for p in interpreter)
            return "uid-only" if readable else "limits-only"
        _confine.seal_server(keep, hide)
        return "namespace+uid"
    try:  # an unprivileged user namespace, where the kernel allows one
        _confine.enter_user_namespace(network=True)
        _confine.seal_server(keep, hide)
        _confine.lock_mounts()
        return "namespace"
    except OSError:
        return "limits-only"


def _huge_pages() -> int:
    """Back the server's large private memory with 2 MB pages; return the regions collapsed.

    Every run forks this server, and fork copies (exit frees) one page-table entry per 4 kB page
    of the ~200 MB that torch's import leaves in the heap: about 12 of a run's 20 ms. The same
    memory in 2 MB pages costs about 4 ms. Nothing else changes: the memory is the same, a
    child that writes to a shared huge page gets a private 4 kB copy as before, and limits
    count address space, not pages. A kernel without ``MADV_COLLAPSE`` (before 6.1) refuses
    with ``EINVAL`` and the server runs as before.
    """
    _libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    collapsed = 0
    with open("/proc/self/maps") as maps:
        lines = maps.read().splitlines()
    for line in lines:
        fields = line.split()
        anonymous = len(fields) == 5 or (len(fields) == 6 and fields[5] == "[heap]")
        if not (anonymous and fields[1] == "rw-p"):
            continue
        low, high = (int(x, 16) for x in fields[0].split("-"))
        low = (low + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1)
        high &= ~(HUGE_PAGE - 1)
        if high - low < HUGE_PAGE:
            continue
        _libc.madvise(low, high - low, MADV_HUGEPAGE)
        collapsed += _libc.madvise(low, high - low, MADV_COLLAPSE) == 0
    return collapsed


def _read_exact(fd: int, n: int) -> bytearray:
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    while got < n:
        k = os.readv(fd, [view[got:]])
        if k == 0:
            raise EOFError
        got += k
    return buf


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


#: Isolation levels whose runs get their own PID namespace, /proc and private temp folders.
SEALED = ("namespace+uid", "namespace")
#: The descriptor the harness writes its one result message to.
RESULT_FD = 3


def _end_with_parent(parent: int) -> None:
    """Have the kernel kill this process when its parent ends (``PR_SET_PDEATHSIG``).

    A server killed mid-run thus takes its supervisor, and the supervisor its run, along: no
    run outlives the process that would enforce its wall clock. ``parent`` is the pid seen
    before the fork: if it is gone already, end now.
    """
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def _child(
    request: bytes, header: dict, uid: int | None, isolation: str, fds, folder, ipc_capped: bool
) -> None:
    """In the forked child: seal, limit, drop privileges, then run the harness; never returns."""
    parent = os.getppid()  # the supervisor (0 once in the new PID namespace: it lies outside)
    try:
        os.setsid()
        for sig in (signal.SIGPIPE, signal.SIGINT, signal.SIGTERM, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        if isolation in SEALED:  # pid 1 of its own PID namespace (the supervisor unshared it)
            from lrcourse.sandbox._confine import own_proc  # preloaded by _isolate()

            own_proc(lock=isolation == "namespace")
            folder = "/tmp"
        out_w, err_w, res_w = fds
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        os.dup2(res_w, RESULT_FD)
        os.closerange(RESULT_FD + 1, 1 << 16)
        os.chdir(folder)
        with open("/proc/self/statm") as f:
            mapped = int(f.read().split()[0]) * resource.getpagesize()
        mem = mapped + int(header["memory_mb"]) * (1 << 20)
        cpu = max(1, int(header["cpu_s"] + 0.999))
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        # Soft = hard: the kernel's SIGKILL at the limit reaches a PID namespace's init, which
        # ignores SIGXCPU (see _hit_cpu_limit).
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        resource.setrlimit(resource.RLIMIT_FSIZE, (header["file_bytes"], header["file_bytes"]))
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_NPROC, (header["processes"], header["processes"]))
        if uid is not None:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
        _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        from lrcourse.sandbox._fence import fence_off  # preloaded by main()

        fence_off(ipc=not ipc_capped)
        _end_with_parent(parent)  # after the uid change, which clears the setting
        os.environ.clear()
        os.environ.update(
            {"HOME": folder, "TMPDIR": folder, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
        )
        from lrcourse.sandbox._harness import run_harness  # preloaded by main()

        run_harness(request, RESULT_FD)
    finally:
        os._exit(70)


def _serve_one(header: dict, body: bytes, config: dict, isolation: str, server: int) -> dict:
    """In the supervisor: fork the run, supervise it, return what it did."""
    from lrcourse.sandbox._watch import supervise, verdict_of_run  # preloaded by main()

    uid = UID_BASE + server if isolation in ("namespace+uid", "uid-only") else None
    folder, ipc_capped = None, False
    if isolation not in SEALED:  # no mount namespace: a folder on disk, removed afterwards
        folder = os.path.join(config["tmp_root"], f"run-{secrets.token_hex(6)}")
        os.mkdir(folder, 0o700)
        if uid is not None:
            os.chown(folder, uid, uid)
    else:  # private temp folders; the run will be pid 1 of namespaces of its own
        from lrcourse.sandbox._confine import enter_run_namespaces, private_temp

        private_temp(uid, int(header["temp_bytes"]))
        ipc_capped = enter_run_namespaces(int(header["temp_bytes"]))
    pipes = {name: os.pipe() for name in ("stdout", "stderr", "result")}
    pid = os.fork()
    if pid == 0:
        writers = (pipes["stdout"][1], pipes["stderr"][1], pipes["result"][1])
        _child(body, header, uid, isolation, writers, folder, ipc_capped)
    for _, w in pipes.values():
        os.close(w)
    try:
        fds = {name: r for name, (r, _) in pipes.items()}
        run = supervise(pid, uid, header, fds, sealed=folder is None)
    finally:
        if folder is not None:
            from lrcourse.sandbox._cleanup import remove_tree

            remove_tree(folder)
    result = verdict_of_run(run, header)
    result["isolation"] = isolation
    return result


def _supervisor(
    fd: int, header: dict, size: int, config: dict, isolation: str, server: int, taken: int
):
    """The per-run process: read the code, run it, answer the grader, exit; never returns.

    The server forks one per run and never reads a submission's code or output itself: they
    exist only in this process and in the run, and vanish with them. So no later run, forked
    from the server, can find another run's code or results in the memory it inherits.
    """
    status = 1
    try:
        _end_with_parent(server)
        _check(_libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "become a subreaper")
        body = bytes(_read_exact(fd, size))
        os.write(taken, b"x")  # the server may read the channel again
        os.close(taken)
        try:
            result = _serve_one(header, body, config, isolation, server)
        except Exception as exc:  # the grader must get an answer to every request
            result = {"status": "sandbox-error", "reason": f"{type(exc).__name__}: {exc}"}
        _write_all(fd, json.dumps(result).encode() + b"\n")
        status = 0
    finally:
        os._exit(status)


def _stub_package(name: str) -> None:
    """Register ``name`` as a bare package so its submodules load without its ``__init__``.

    ``lrcourse/__init__.py`` imports the whole course (matplotlib, ipywidgets, training code);
    the server needs only ``lrcourse.trace`` and the caller's preloaded probe modules. Skipping the rest makes
    the server start faster and each fork cheaper (fewer pages to map).
    """
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return
    package = types.ModuleType(name)
    package.__path__ = list(spec.submodule_search_locations)
    package.__file__ = spec.origin
    sys.modules[name] = package


def _receive_prefix(channel: socket.socket) -> tuple[bytes, list[int]]:
    """Read the 20-byte size prefix, with any descriptor sent alongside it (clone requests)."""
    message, fds, _, _ = socket.recv_fds(channel, 20, 1)
    if not message:
        raise EOFError
    rest = 20 - len(message)
    return bytes(message) + (bytes(_read_exact(channel.fileno(), rest)) if rest else b""), fds


def _clone(channel: socket.socket, fds: list[int], config: dict, isolation: str) -> dict:
    """Fork a sibling server answering on the descriptor received; return its pid."""
    if len(fds) != 1:
        for fd in fds:
            os.close(fd)
        return {"status": "sandbox-error", "reason": "a clone request needs one descriptor"}
    pid = os.fork()
    if pid == 0:  # the clone: a copy of this warm, key-free server on its own channel
        try:
            channel.close()
            SUPERVISORS.clear()
            _check(_libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "become a subreaper")
            with contextlib.suppress(EOFError, BrokenPipeError, ConnectionError):
                _serve(socket.socket(fileno=fds[0]), config, isolation)
        finally:
            os._exit(0)
    os.close(fds[0])
    return {"cloned": pid}


def _serve(channel: socket.socket, config: dict, isolation: str) -> None:
    """Announce readiness on ``channel``, then answer requests until it closes."""
    fd = channel.fileno()
    _write_all(fd, json.dumps({"ready": True, "isolation": isolation}).encode() + b"\n")
    while True:
        prefix, fds = _receive_prefix(channel)
        sizes = prefix.decode().split()
        header = json.loads(_read_exact(fd, int(sizes[0])))
        if header.get("clone"):
            _read_exact(fd, int(sizes[1]))
            _write_all(fd, json.dumps(_clone(channel, fds, config, isolation)).encode() + b"\n")
            continue
        for extra in fds:
            os.close(extra)
        _reap_supervisors()
        sys.stdout.flush()
        server = os.getpid()
        taken_r, taken_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(taken_r)
            _supervisor(fd, header, int(sizes[1]), config, isolation, server, taken_w)
        os.close(taken_w)
        SUPERVISORS.add(pid)
        # Wait until the supervisor has read the code off the channel, not until it is gone: its
        # exit (freeing the run's mounts) overlaps the grader's next request.
        taken = os.read(taken_r, 1)
        os.close(taken_r)
        if not taken:  # it died before reading the code: the channel is out of step
            raise EOFError


#: Supervisors still running or exiting (reaped before each new run).
SUPERVISORS: set[int] = set()


def _reap_supervisors() -> None:
    """Reap the supervisors that ended; raise ``EOFError`` if one died before it answered."""
    for pid in list(SUPERVISORS):
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            SUPERVISORS.discard(pid)
            continue
        if done:
            SUPERVISORS.discard(pid)
            if status != 0:
                raise EOFError


def main() -> None:
    """Read the configuration, isolate, preload torch, then serve requests until EOF.

    fd 0 is a Unix socket to the grader; stdout is pointed at ``/dev/null`` so that nothing
    printed by accident can corrupt the protocol.
    """
    channel = socket.socket(fileno=0)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.close(null)
    config = json.loads(_read_exact(0, int(_read_exact(0, 10).decode())))
    _stub_package("lrcourse")
    isolation = _isolate(config.get("hide", []))
    _check(_libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "become a subreaper")
    os.environ["OMP_NUM_THREADS"] = "1"
    # torch's import makes ~300 k objects that live as long as the server. A collector left on
    # walks them again and again while they load (~0.6 s of the start-up); frozen once loaded,
    # no collection here or in a child ever walks them.
    gc.disable()
    import torch

    torch.set_num_threads(1)
    from lrcourse.trace import trace_schedule

    # Warm up once (lazy imports, first-call costs) so each forked child starts ready.
    trace_schedule("StepLR", {"step_size": 2}, epochs=3)
    # The caller's probe modules (e.g. the quiz engine's observers) are loaded beforehand: each
    # run is watched for tampering with them, and a fork finds them ready.
    for name in config.get("preload", []):
        importlib.import_module(name)
    import lrcourse.sandbox._fence
    import lrcourse.sandbox._harness
    import lrcourse.sandbox._watch

    # Last, once nothing is left to load: every child starts from this state.
    lrcourse.sandbox._harness.take_baseline(config.get("preload", []))
    gc.freeze()
    gc.enable()
    _huge_pages()
    _serve(channel, config, isolation)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    with contextlib.suppress(EOFError, BrokenPipeError, ConnectionError, KeyboardInterrupt):
        main()  # the grader went away (killed, or done): nothing left to answer

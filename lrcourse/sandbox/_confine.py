"""Walls for a sandbox server run by an ordinary user (no root), inside its user namespace.

As root, the sandbox gives each run a uid of its own (``_zygote.py``). An ordinary user has
only their own uid to give. The student's code then runs as the instructor: it is root of a user
namespace that maps to them. The mount namespace hides the keys, but that alone would leave
ways out. A root of the namespace can unmount what hides a file. The instructor's uid can read
and write the instructor's files, and signal every process of theirs, the grader included.
These functions close those ways:

* :func:`enter_user_namespace` with ``network=True`` gives the server an empty network
  namespace. No connection leaves a run, not even to this machine.
* :func:`hide_home` empties the instructor's home folder, except what the server needs (the
  interpreter and its ``sys.path``).
* :func:`make_read_only` makes every mount read-only in the server's mount namespace, except the
  runs' temporary folder. The code cannot change the course package, the gradebook's folder or a
  shell profile, although it runs as their owner.
* :func:`lock_mounts` enters a second user namespace. Every mount made so far is then *locked*:
  a root of the inner namespace cannot unmount it or make it writable again.
* :func:`isolate_run` runs each submission as pid 2 of a PID namespace of its own, with a
  ``/proc`` of that namespace. It cannot see or signal the grader, and ``kill(-1)`` reaches only
  its own processes. When it ends, the kernel kills whatever it left behind.

Standard library only: ``_zygote.py`` imports this module before it preloads torch.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import signal
from typing import NoReturn

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID = 0x00020000, 0x10000000, 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC = 32, 4096, 16384
MNT_DETACH = 2
#: Per-mount flags a read-only remount must repeat (a locked one may not be dropped).
MOUNT_FLAGS = {
    "nosuid": MS_NOSUID,
    "nodev": MS_NODEV,
    "noexec": MS_NOEXEC,
    "noatime": 1024,
    "nodiratime": 2048,
    "relatime": 1 << 21,
    "strictatime": 1 << 24,
}
#: Exit status ``128 + n`` carries "killed by signal n" across the PID namespace's init.
SIGNAL_EXIT_BASE = 128

libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def check(ret: int, what: str) -> None:
    """Raise ``OSError`` naming ``what`` if a libc call returned non-zero."""
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def enter_user_namespace(proc_self: int | None = None, *, network: bool = False) -> None:
    """Enter a new user and mount namespace as its root, mapped to the caller's own ids.

    ``proc_self`` is a descriptor of ``/proc/self`` opened earlier, for a caller whose
    ``/proc`` no longer lists itself. ``network=True`` also enters an empty network namespace
    (a loopback that is down): no connection leaves it, not even to this machine.
    """
    uid, gid = os.getuid(), os.getgid()
    folder = os.open("/proc/self", os.O_DIRECTORY) if proc_self is None else proc_self
    flags = CLONE_NEWUSER | CLONE_NEWNS | (CLONE_NEWNET if network else 0)
    try:
        check(libc.unshare(flags), "unshare user namespace")
        for name, text in (
            ("setgroups", "deny"),
            ("uid_map", f"0 {uid} 1"),
            ("gid_map", f"0 {gid} 1"),
        ):
            fd = os.open(name, os.O_WRONLY, dir_fd=folder)
            try:
                os.write(fd, text.encode())
            finally:
                os.close(fd)
    finally:
        if proc_self is None:
            os.close(folder)


def _unescape(field: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def mounts() -> list[tuple[str, set[str]]]:
    """Return each mount of this namespace: (mount point, its per-mount options)."""
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            found.append((_unescape(fields[4]), set(fields[5].split(","))))
    return found


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def hide_home(home: str, keep: list[str], staging: str) -> None:
    """Replace ``home`` with an empty folder, except the paths of ``keep`` that lie inside it.

    The run would otherwise read whatever the instructor can (``~/.ssh``, mail, other courses).
    ``keep`` is what the server needs: the interpreter, its ``sys.path`` folders, the runs'
    folder.
    Each kept path is bound aside into ``staging`` first, then back into the emptied home.
    """
    home = os.path.realpath(home)
    if home == "/" or not os.path.isdir(home):
        return
    inside = sorted({os.path.realpath(p) for p in keep if os.path.isdir(p)})
    inside = [p for p in inside if _inside(p, home) and p != home]
    outermost = [p for p in inside if not any(q != p and _inside(p, q) for q in inside)]
    aside = []
    for n, path in enumerate(outermost):
        stage = os.path.join(staging, f"keep-{n}")
        os.makedirs(stage, 0o700, exist_ok=True)
        check(libc.mount(path.encode(), stage.encode(), None, MS_BIND | MS_REC, None), path)
        aside.append((path, stage))
    flags = MS_NOSUID | MS_NODEV
    check(libc.mount(b"tmpfs", home.encode(), b"tmpfs", flags, b"mode=0755"), f"hide {home}")
    for path, stage in aside:
        os.makedirs(path, 0o755, exist_ok=True)  # in the empty tmpfs: a mount point
        check(libc.mount(stage.encode(), path.encode(), None, MS_BIND | MS_REC, None), path)
        libc.umount2(stage.encode(), MNT_DETACH)


def make_read_only(writable: str) -> None:
    """Remount every mount read-only except ``writable`` (bound onto itself) and ``/proc``.

    ``/proc`` stays writable because entering a user namespace writes ``/proc/self/uid_map``.
    Each run gets a ``/proc`` of its own PID namespace (:func:`isolate_run`), where only its own
    processes are listed.
    """
    check(libc.mount(writable.encode(), writable.encode(), None, MS_BIND, None), writable)
    for point, options in mounts():
        if point == writable or point == "/proc" or point.startswith("/proc/"):
            continue
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY
        for option in options & MOUNT_FLAGS.keys():
            flags |= MOUNT_FLAGS[option]
        check(libc.mount(None, point.encode(), None, flags, None), f"read-only {point}")


def lock_mounts() -> None:
    """Enter an inner user namespace, which locks every mount the caller can see."""
    enter_user_namespace()


def _relay_exit(child: int) -> NoReturn:
    """Wait for ``child`` and end the same way, so the server reads the run's own ending."""
    os.closerange(0, 1 << 16)  # hold none of the run's pipes: the server waits for their EOF
    _, status = os.waitpid(child, 0)
    code = os.waitstatus_to_exitcode(status)
    if code > SIGNAL_EXIT_BASE:
        code = -(code - SIGNAL_EXIT_BASE)
    if code < 0:
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    os._exit(code)


def _be_init(run: int) -> NoReturn:
    """Act as pid 1: reap orphans until ``run`` ends, then end with its status (128+n: signal n).

    When pid 1 exits, the kernel kills every other process in the namespace.
    """
    os.closerange(0, 1 << 16)
    while True:
        pid, status = os.wait()
        if pid == run:
            code = os.waitstatus_to_exitcode(status)
            os._exit(SIGNAL_EXIT_BASE - code if code < 0 else code)


def isolate_run() -> None:
    """Continue as pid 2 of a new PID namespace, with its own ``/proc`` and locked mounts.

    Called in a freshly forked run child, after its resource limits are set. The calling
    process stays behind and relays the run's ending to the server; pid 1 reaps orphans.
    Only the run, pid 2, returns from this function.
    """
    check(libc.unshare(CLONE_NEWPID), "unshare pid namespace")
    init = os.fork()
    if init:
        _relay_exit(init)
    check(libc.unshare(CLONE_NEWNS), "unshare mount namespace")  # the server keeps its /proc
    proc_self = os.open("/proc/self", os.O_DIRECTORY)  # still reachable after /proc is replaced
    flags = MS_NOSUID | MS_NODEV | MS_NOEXEC
    if libc.mount(b"proc", b"/proc", b"proc", flags, None) != 0:
        # A container may forbid a new /proc (masked paths): then show the run no processes.
        check(libc.mount(b"tmpfs", b"/proc", b"tmpfs", flags | MS_RDONLY, b"size=4k"), "hide /proc")
    enter_user_namespace(proc_self)  # locks the new /proc too: nothing can uncover the old one
    os.close(proc_self)
    run = os.fork()
    if run:
        _be_init(run)

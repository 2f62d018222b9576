"""The walls of a sandbox run: a sealed, read-only world for the server, a private one per run.

Root and an ordinary user get the same view (only how they get there differs):

* **The server's world** (:func:`seal_world`, once, when the server starts). Every top-level
  folder but the kernel's (``/proc``, ``/sys``) is replaced by an empty tmpfs: ``/usr``,
  ``/etc``, ``/home``, ``/root``, ``/tmp``, ``/var``, ``/run``, ``/srv``, ``/opt``, ``/work``...
  So the instructor's working folder, earlier exports, gradebooks, manifests, banks and
  submissions are simply not there, wherever they live (``/usr/local/share`` included), without
  the grader having to name them. Only an allow-list comes back, bound from descriptors opened
  beforehand: the system's library folders and the few ``/etc`` files the loader reads
  (:data:`SYSTEM_PATHS`), the interpreter's prefixes, its ``sys.path`` folders, and the
  ``lrcourse`` package folder (not the source checkout around it). ``/dev`` is rebuilt with
  five harmless devices (:func:`minimal_dev`).
  Then every mount is made read-only (:func:`make_read_only`) and the server has an empty
  network namespace. An ordinary user does all of this inside a user namespace of their own
  (:func:`enter_user_namespace`) and then enters a second one (:func:`lock_mounts`) so that the
  mounts are *locked*: a root of the inner namespace cannot unmount or remount them.
* **Each run's world.** Its supervisor (one process per run) enters a new mount namespace with
  fresh, size- and inode-capped tmpfs over ``/tmp``, ``/var/tmp`` and ``/dev/shm``, owned by the
  run (:func:`private_temp`), and new PID, IPC, network and UTS namespaces, the IPC one capped
  (:func:`enter_run_namespaces`); the run is pid 1 there, with its own ``/proc`` (:func:`own_proc`,
  ``/proc/keys`` masked): it sees and signals only its own processes, and when it ends the
  kernel kills everything it started and frees its IPC objects and sockets. Its working folder and ``$HOME`` is that ``/tmp``. Nothing it writes
  reaches a disk or outlives it: when its last process ends the kernel frees the mounts, so
  there is nothing for the grader to delete (a deep tree, a million files, a socket or a fifo
  cost the grader nothing).

Standard library only: ``_zygote.py`` imports this module before it preloads torch.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import re
import stat

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID = 0x00020000, 0x10000000, 0x20000000
CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS = 0x40000000, 0x08000000, 0x04000000
CLONE_NEWCGROUP = 0x02000000
#: The namespaces each run gets of its own (with a mount namespace, see :func:`private_temp`):
#: its processes, its System V and POSIX message-queue IPC objects, its network (abstract Unix
#: sockets included), its host name and its cgroup root (the host's cgroup paths are not
#: shown). What it makes there dies with it.
RUN_NAMESPACES = CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWCGROUP
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
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
#: Top-level folders left as they are: the kernel's (``/dev`` is rebuilt, see :func:`minimal_dev`).
KERNEL_FOLDERS = frozenset({"dev", "proc", "sys"})
#: What a run sees of the system, by allow-list: every other path of every top-level folder
#: (``/usr``, ``/etc``, ``/var``, ``/opt``, ``/home``...) is hidden, so an instructor's folder is
#: not there wherever it lives (``/usr/local/share``, ``/opt``, ``/srv``...). The interpreter,
#: its ``sys.path`` folders and the course's package are added by the caller.
SYSTEM_PATHS = (
    "/usr/bin",
    "/usr/lib",
    "/usr/lib32",
    "/usr/lib64",
    "/usr/libx32",
    "/usr/share/zoneinfo",
    "/bin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
)
#: The devices a run may open, as bubblewrap's ``--dev`` gives them: no terminal (no ``tty``,
#: ``console``, ``ptmx`` or ``pts``), nothing of the host's hardware.
DEVICES = ("null", "zero", "full", "random", "urandom")
DEV_LINKS = {
    "fd": "/proc/self/fd",
    "stdin": "/proc/self/fd/0",
    "stdout": "/proc/self/fd/1",
    "stderr": "/proc/self/fd/2",
}
#: Folders each run gets as a private, empty, size-capped tmpfs that vanishes with it.
PRIVATE_TEMP = ("/tmp", "/var/tmp", "/dev/shm")
#: Files and folders a run may create in each private temporary folder.
TEMP_INODES = 4096

libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def check(ret: int, what: str) -> None:
    """Raise ``OSError`` naming ``what`` if a libc call returned non-zero."""
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source: bytes | None, target: str, kind: bytes | None, flags: int, data: bytes | None):
    check(libc.mount(source, target.encode(), kind, flags, data), f"mount {target}")


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
        _map_to_root(folder, uid, gid)
    finally:
        if proc_self is None:
            os.close(folder)


def _map_to_root(proc_self: int, uid: int, gid: int) -> None:
    """Map this (new) user namespace's root to ``uid``/``gid`` through ``/proc/self`` (a dir fd)."""
    for name, text in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"), ("gid_map", f"0 {gid} 1")):
        fd = os.open(name, os.O_WRONLY, dir_fd=proc_self)
        try:
            os.write(fd, text.encode())
        finally:
            os.close(fd)


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


def inside(path: str, folder: str) -> bool:
    """Return True when ``path`` is ``folder`` or lies below it."""
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def outermost(paths: list[str]) -> list[str]:
    """Return the existing folders and files of ``paths`` (resolved) that no other one contains."""
    real = sorted({os.path.realpath(p) for p in paths if p and os.path.exists(p)})
    return [p for p in real if not any(q != p and inside(p, q) for q in real)]


def _bind_back(path: str, handle: int) -> None:
    """Bind the folder or file open as ``handle`` (``O_PATH``) at ``path``, making a mount point."""
    if stat.S_ISDIR(os.fstat(handle).st_mode):
        os.makedirs(path, 0o755, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(path), 0o755, exist_ok=True)
        if not os.path.exists(path):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o644))
    _mount(f"/proc/self/fd/{handle}".encode(), path, None, MS_BIND | MS_REC, None)


def minimal_dev(devices: list[tuple[str, int]]) -> None:
    """Replace ``/dev`` by a small tmpfs holding only ``devices`` (bound from their handles).

    As bubblewrap's ``--dev``: no terminal to write into (a read-only mount does not stop device
    I/O, so ``/dev/pts`` and ``/dev/tty`` must not be there at all), no ``/dev/mqueue`` of the
    host, an empty ``shm`` folder (each run gets a private one) and the ``fd`` links.
    """
    _mount(b"tmpfs", "/dev", b"tmpfs", MS_NOSUID | MS_NOEXEC, b"mode=0755,size=64k,nr_inodes=64")
    for name, handle in devices:
        _bind_back(f"/dev/{name}", handle)
    os.mkdir("/dev/shm", 0o1777)
    for name, target in DEV_LINKS.items():
        os.symlink(target, f"/dev/{name}")


def seal_world(keep: list[str]) -> list[str]:
    """Hide every top-level folder behind an empty tmpfs, but ``SYSTEM_PATHS`` and ``keep``.

    Only the kernel's folders stay (``/proc``, ``/sys``; ``/dev`` is rebuilt by
    :func:`minimal_dev`). What a run may see is an allow-list: each kept folder or file is
    opened (``O_PATH``) before anything is hidden and bound back from that descriptor
    afterwards, and a kept symbolic link is made again. Top-level files are covered by
    ``/dev/null``. Returns the folders hidden (``/dev`` among them); the caller makes the result
    read-only (:func:`make_read_only`).
    """
    top = [f"/{name}" for name in sorted(os.listdir("/"))]
    hidden = [
        path
        for path in top
        if path[1:] not in KERNEL_FOLDERS and not os.path.islink(path) and os.path.isdir(path)
    ]
    wanted = [*SYSTEM_PATHS, *keep]
    links = [
        (path, os.readlink(path))
        for path in wanted
        if os.path.islink(path) and any(inside(path, h) and path != h for h in hidden)
    ]
    kept = [p for p in outermost(wanted) if any(inside(p, h) for h in hidden)]
    handles = [(path, os.open(path, os.O_PATH)) for path in kept]
    devices = [(name, os.open(f"/dev/{name}", os.O_PATH)) for name in DEVICES]
    try:
        for path in hidden:
            flags = MS_NOSUID | MS_NODEV
            _mount(b"tmpfs", path, b"tmpfs", flags, b"mode=0755,size=1m,nr_inodes=4096")
        for path in top:  # a file beside the folders (a container's own notes): emptied
            if not os.path.islink(path) and os.path.isfile(path):
                _mount(b"/dev/null", path, None, MS_BIND, None)
        os.makedirs("/var/tmp", 0o755, exist_ok=True)  # mount points of each run's private temp
        for path, target in links:
            os.makedirs(os.path.dirname(path), 0o755, exist_ok=True)
            if not os.path.lexists(path):
                os.symlink(target, path)
        for path, handle in handles:
            _bind_back(path, handle)
        minimal_dev(devices)
    finally:
        for _, handle in handles + devices:
            os.close(handle)
    return [*hidden, "/dev"]


def hide(paths: list[str]) -> None:
    """Mount an empty read-only tmpfs over each folder (``/dev/null`` over each file) still visible.

    The world is sealed already; this covers what the caller names that lies in a kept or
    system folder (a bank kept beside the course's virtual environment, say).
    """
    for path in paths:
        if os.path.isdir(path):
            opts = b"size=4k,mode=0555"
            flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC
            _mount(b"tmpfs", path, b"tmpfs", flags, opts)
        elif os.path.exists(path):
            _mount(b"/dev/null", path, None, MS_BIND, None)


def make_private() -> None:
    """Stop mounts made here from propagating back to the host's namespace."""
    _mount(b"none", "/", None, MS_REC | MS_PRIVATE, None)


def make_read_only(hidden: list[str]) -> None:
    """Remount every mount read-only, except ``/proc`` (and what the kernel will not remount).

    ``/proc`` stays as it is: entering a user namespace writes ``/proc/self/uid_map``, and each
    run mounts a ``/proc`` of its own PID namespace anyway. A few kernel file systems under
    ``/sys`` and ``/dev`` may refuse a remount; nothing a run could write lives there. Mounts
    under a ``hidden`` folder that were not kept cannot be reached, so they are left alone.
    """
    for point, options in mounts():
        if inside(point, "/proc"):
            continue
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY
        for option in options & MOUNT_FLAGS.keys():
            flags |= MOUNT_FLAGS[option]
        if libc.mount(None, point.encode(), None, flags, None) != 0:
            if inside(point, "/sys") or (inside(point, "/dev") and point != "/dev"):
                continue
            covered = any(inside(point, h) and point != h for h in hidden)
            if covered and ctypes.get_errno() in (errno.ENOENT, errno.EINVAL):
                continue
            check(-1, f"read-only {point}")


def server_temp() -> None:
    """Make the server's sealed ``/tmp`` (an empty 1 MB tmpfs) writable: torch's import needs one.

    Runs never see it: each gets a fresh one over it (:func:`private_temp`).
    """
    _mount(None, "/tmp", None, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV, None)


#: Kept folders that lie in a private temp folder (a course installed under /tmp): bound back
#: into every run's fresh temp folder.
KEPT_IN_TEMP: list[str] = []


def remember_kept_in_temp(keep: list[str]) -> None:
    """Note the kept folders that a run's private temp folders would cover (see above)."""
    KEPT_IN_TEMP[:] = [
        path for path in outermost(keep) if any(inside(path, t) for t in PRIVATE_TEMP)
    ]


def seal_server(keep: list[str], hide_paths: list[str]) -> None:
    """In the server's new mount namespace: hide the host but ``keep``, read-only, with a temp."""
    make_private()
    hidden = seal_world(keep)
    hide(hide_paths)
    make_read_only(hidden)
    server_temp()
    remember_kept_in_temp(keep)


def lock_mounts() -> None:
    """Enter an inner user namespace, which locks every mount the caller can see."""
    enter_user_namespace()


def private_temp(owner: int | None, temp_bytes: int) -> None:
    """In a run's supervisor: a new mount namespace with fresh, capped temp folders for the run.

    ``owner`` is the uid the run will drop to (root), or None when it runs as root of a user
    namespace (an ordinary user's server). The namespace belongs to the supervisor, so the
    run's own exit is quick; the kernel frees the mounts when the supervisor exits, after it
    has answered the grader.
    """
    check(libc.unshare(CLONE_NEWNS), "unshare mount namespace")
    # Opened in this namespace (a bind's source must lie in it), before the tmpfs covers them.
    handles = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY)) for path in KEPT_IN_TEMP]
    ids = f",uid={owner},gid={owner}" if owner is not None else ""
    options = f"mode=0700,size={temp_bytes},nr_inodes={TEMP_INODES}{ids}".encode()
    for path in PRIVATE_TEMP:
        if os.path.isdir(path):
            _mount(b"tmpfs", path, b"tmpfs", MS_NOSUID | MS_NODEV, options)
    for path, fd in handles:  # the interpreter or the course, installed under /tmp
        os.makedirs(path, 0o755, exist_ok=True)
        _mount(f"/proc/self/fd/{fd}".encode(), path, None, MS_BIND | MS_REC, None)
        os.close(fd)


def enter_run_namespaces(shared_memory_bytes: int) -> bool:
    """In a run's supervisor: enter the run's own namespaces and cap its IPC objects.

    The run (forked next) is pid 1 of the new PID namespace. In its new IPC namespace no
    segment, semaphore or queue of the grader or of another run exists, and what it creates is
    freed by the kernel when its last process ends. The caps below are that namespace's own
    settings: System V shared memory may hold ``shared_memory_bytes`` in all (as ``/dev/shm``),
    and a handful of queues and semaphore sets, so shared memory cannot grow past the run's
    limits either. Returns False where the kernel will not let this user set them (before
    Linux 5.19 an unprivileged user namespace's root may not): the run is then refused every
    IPC call (``_fence.fence_off(ipc=True)``), never left uncapped.
    """
    check(libc.unshare(RUN_NAMESPACES), "unshare the run's namespaces")
    page = os.sysconf("SC_PAGE_SIZE")
    caps = {
        "kernel/shmmax": str(shared_memory_bytes),
        "kernel/shmall": str(max(1, shared_memory_bytes // page)),
        "kernel/shmmni": "16",
        "kernel/msgmni": "16",
        "kernel/msgmnb": "16384",
        "kernel/sem": "32 512 32 16",
        "fs/mqueue/queues_max": "16",
    }
    for name, value in caps.items():
        try:
            fd = os.open(f"/proc/sys/{name}", os.O_WRONLY)
        except (PermissionError, FileNotFoundError):
            return False
        try:
            os.write(fd, value.encode())
        finally:
            os.close(fd)
    return True


#: Files of ``/proc`` that are not a namespace's own: every key of the run's user (descriptions
#: included) would be listed there. Covered, as Docker masks them.
MASKED_PROC = ("/proc/keys", "/proc/key-users")


def own_proc(*, lock: bool) -> None:
    """In the run, pid 1 of its PID namespace: mount that namespace's ``/proc``.

    ``lock`` (an ordinary user's run, root of its user namespace) then enters a user namespace
    of its own: it keeps its uid but loses every capability over the mounts it was given, so it
    cannot unmount this ``/proc`` (nor a temp folder) to uncover what lies beneath.
    """
    flags = MS_NOSUID | MS_NODEV | MS_NOEXEC
    if libc.mount(b"proc", b"/proc", b"proc", flags, None) != 0:
        # A container may forbid a new /proc (masked paths): then show the run no processes.
        _mount(b"tmpfs", "/proc", b"tmpfs", flags | MS_RDONLY, b"size=4k")
    for path in MASKED_PROC:
        if os.path.exists(path):
            _mount(b"/dev/null", path, None, MS_BIND, None)
    if lock:
        uid, gid = os.getuid(), os.getgid()
        folder = os.open("/proc/self", os.O_DIRECTORY)
        try:
            check(libc.unshare(CLONE_NEWUSER), "unshare user namespace")
            _map_to_root(folder, uid, gid)
        finally:
            os.close(folder)

"""Leave things where a run could reach them, run hostile code, print what each run found (JSON).

Run by ``test_isolation.py`` as root and, under ``setpriv``, as ``nobody`` (the grader as an
ordinary user). Argument: a JSON object with ``tty`` (a terminal's path, the grader's screen),
``planted`` (instructor files planted by the test, readable by this user, so only the jail
protects them) and ``tag`` (a random word naming everything this probe and its runs make).

The grader side (this process) makes what an instructor's machine holds: a 0600 System V
segment, an abstract Unix socket and a TCP service, a kernel key in its user keyring. Run A
makes the same kinds of things and stays alive; run B, on a sibling server, looks for A's and
the grader's meanwhile; run C, on A's own server after A ended, looks for what A left; a hog
run tries to pile up shared memory. The test asserts on what they report.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import socket
import sys
import threading
import time
from pathlib import Path

from lrcourse.sandbox.pool import Limits, Probe, Sandbox

config = json.loads(sys.argv[1])
TAG, TTY, PLANTED = config["tag"], config["tty"], config["planted"]
KEY_GRADER, KEY_RUN = 0x4C520000 + (int(TAG[:4], 16)), 0x4C530000 + (int(TAG[:4], 16))
LIMITS = Limits(wall_s=10.0, cpu_s=5.0, memory_mb=256, processes=8, output_bytes=20_000)
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
KEY_SPEC_USER_KEYRING, KEYCTL_SEARCH, KEYCTL_INVALIDATE = -4, 10, 21
SYS_ADD_KEY, SYS_KEYCTL = {"x86_64": (248, 250), "aarch64": (217, 219)}[os.uname().machine]

#: Shared by every run: System V and key calls through ctypes, errors as names.
TOOLS = f"""
import ctypes, errno, json, os, socket, struct, time
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
TAG, KEY_GRADER, KEY_RUN = {TAG!r}, {KEY_GRADER}, {KEY_RUN}
SYS_ADD_KEY, SYS_KEYCTL = {SYS_ADD_KEY}, {SYS_KEYCTL}

def err():
    return errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))

def attempt(action):
    try:
        action()
        return 'ok'
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))

def call(result):
    return 'ok' if result >= 0 else err()

def connect_abstract(name):
    with socket.socket(socket.AF_UNIX) as s:
        s.connect('\\0' + name)

def sysv_lines(kind):
    try:
        return [l for l in open('/proc/sysvipc/' + kind).read().splitlines()[1:] if l.strip()]
    except OSError as exc:
        return ['unreadable: ' + exc.strerror]

def add_key(name, keyring):
    return call(libc.syscall(ctypes.c_long(SYS_ADD_KEY), b'user', name.encode(), b'secret', 6,
                             ctypes.c_long(keyring)))
"""

#: Run A: makes one of every shareable thing, then stays alive while run B looks for them.
MAKE = (
    TOOLS
    + """
made = {}
segment = libc.shmget(KEY_RUN, 4096, 0o1000 | 0o666)
made['shm'] = call(segment)
if segment >= 0:
    address = libc.shmat(segment, None, 0)
    ctypes.memmove(address, b'RUN-A-SECRET', 12)
    libc.shmdt(ctypes.c_void_p(address))
made['sem'] = call(libc.semget(KEY_RUN + 1, 1, 0o1000 | 0o666))
queue = libc.msgget(KEY_RUN + 2, 0o1000 | 0o666)
message = ctypes.create_string_buffer(struct.pack('l', 1) + b'RUN-A-SECRET')
made['msg'] = call(libc.msgsnd(queue, message, 12, 0)) if queue >= 0 else err()
made['mqueue'] = call(libc.mq_open(('/run-' + TAG).encode(), os.O_CREAT | os.O_RDWR, 0o666, None))
open('/dev/shm/run-' + TAG, 'w').write('RUN-A-SECRET')
listener = socket.socket(socket.AF_UNIX)
listener.bind('\\0run-' + TAG)
listener.listen()
made['abstract'] = 'ok'
made['add_key_user'] = add_key('run-' + TAG, -4)
made['add_key_session'] = add_key('run-' + TAG, -3)
made['ns'] = {n: os.readlink('/proc/self/ns/' + n) for n in ('ipc', 'net', 'uts', 'pid', 'mnt', 'cgroup')}
time.sleep(4)
def answer():
    return made
"""
)

#: Runs B and C: look for what the grader and run A made, and at the run's own world.
LOOK = (
    TOOLS
    + f"""
import fcntl, termios
time.sleep(1.5)  # run B: start looking once run A has made everything
def answer():
    seen = {{}}
    seen['shm_grader'] = call(libc.shmget(KEY_GRADER, 0, 0))
    seen['shm_run'] = call(libc.shmget(KEY_RUN, 0, 0))
    seen['sem_run'] = call(libc.semget(KEY_RUN + 1, 0, 0))
    seen['msg_run'] = call(libc.msgget(KEY_RUN + 2, 0))
    seen['mqueue_run'] = call(libc.mq_open(('/run-' + TAG).encode(), os.O_RDONLY))
    seen['sysv'] = {{k: sysv_lines(k) for k in ('shm', 'sem', 'msg')}}
    seen['dev_shm'] = sorted(os.listdir('/dev/shm'))
    seen['abstract_grader'] = attempt(lambda: connect_abstract('grader-' + TAG))
    seen['abstract_run'] = attempt(lambda: connect_abstract('run-' + TAG))
    seen['tcp_grader'] = attempt(lambda: socket.create_connection(('127.0.0.1', {{port}}), 1))
    seen['interfaces'] = sorted(name for _, name in socket.if_nameindex())
    seen['keyctl_search'] = call(libc.syscall(ctypes.c_long(SYS_KEYCTL), ctypes.c_long(10),
        ctypes.c_long(-4), b'user', ('grader-' + TAG).encode(), ctypes.c_long(0)))
    seen['add_key_user'] = add_key('run-' + TAG, -4)
    seen['add_key_session'] = add_key('run-' + TAG, -3)
    seen['proc_keys'] = open('/proc/keys').read()
    seen['ns'] = {{n: os.readlink('/proc/self/ns/' + n) for n in ('ipc', 'net', 'uts', 'pid', 'mnt', 'cgroup')}}
    seen['dev'] = sorted(os.listdir('/dev'))
    seen['unshare_user'] = call(libc.unshare(0x10000000))
    seen['unshare_net'] = call(libc.unshare(0x40000000))
    status = dict(l.split(':\t') for l in open('/proc/self/status') if l.startswith('Cap'))
    seen['caps'] = [int(status[k], 16) for k in ('CapInh', 'CapPrm', 'CapEff', 'CapAmb')]
    seen['open_tty'] = attempt(lambda: open({TTY!r}, 'w').write('FORGED 60 graded, mean 9/9\\n'))
    seen['open_dev_tty'] = attempt(lambda: os.open('/dev/tty', os.O_RDWR))
    seen['open_pts'] = attempt(lambda: os.listdir('/dev/pts'))
    seen['ptmx'] = attempt(lambda: os.open('/dev/ptmx', os.O_RDWR))
    seen['session_leader'] = os.getsid(0) == os.getpid()
    seen['tty_nr'] = int(open('/proc/self/stat').read().rsplit(')', 1)[1].split()[4])
    seen['isatty'] = [os.isatty(fd) for fd in range(4)]
    seen['tiocsti'] = [attempt(lambda fd=fd: fcntl.ioctl(fd, termios.TIOCSTI, b'x'))
                       for fd in range(4)]
    seen['planted'] = {{path: attempt(lambda p=path: open(p).read()) for path in {PLANTED!r}}}
    seen['planted_folders'] = [p for p in {PLANTED!r} if os.path.exists(os.path.dirname(p))]
    found = []
    for top in ('/usr/local', '/usr/share', '/opt', '/var', '/tmp', '/home', '/root', '/srv',
                '/etc', '/mnt', '/media', '/run', '/work'):
        for folder, names, files in os.walk(top):
            found += [os.path.join(folder, n) for n in names + files if TAG in n]
    seen['found'] = found
    return seen
"""
)

#: Piles up System V shared memory, 1 MB a segment, each filled then detached (so that it
#: never counts in the address space), until the kernel refuses.
HOG = (
    TOOLS
    + """
def answer():
    made, why = 0, 'ok'
    for i in range(1200):  # 1.2 GB, past any memory limit of the run
        segment = libc.shmget(KEY_RUN + 10 + i, 1 << 20, 0o1000 | 0o600)
        if segment < 0:
            why = err()
            break
        address = libc.shmat(segment, None, 0)
        if address in (None, ctypes.c_void_p(-1).value):
            why = err()
            break
        ctypes.memset(address, 1, 1 << 20)
        libc.shmdt(ctypes.c_void_p(address))
        made += 1
    return {'segments_mb': made, 'why': why, 'sysv_shm': len(sysv_lines('shm'))}
"""
)


def add_grader_key() -> int:
    """Add a key to this user's user keyring, as a login's Kerberos or ecryptfs key would be."""
    serial = libc.syscall(
        ctypes.c_long(SYS_ADD_KEY),
        b"user",
        f"grader-{TAG}".encode(),
        b"GRADER-KEY",
        10,
        ctypes.c_long(KEY_SPEC_USER_KEYRING),
    )
    if serial < 0:
        raise OSError(ctypes.get_errno(), "add_key")
    return serial


def grader_segment() -> int:
    """Make a 0600 System V segment holding a secret, as the grading user's own tools might."""
    segment = libc.shmget(KEY_GRADER, 4096, 0o1000 | 0o600)
    if segment < 0:
        raise OSError(ctypes.get_errno(), "shmget")
    address = libc.shmat(segment, None, 0)
    ctypes.memmove(address, b"GRADER-SECRET", 13)
    libc.shmdt(ctypes.c_void_p(address))
    return segment


def grader_sees_runs() -> dict[str, str]:
    """Return what this (grader) process finds of run A's things while A is alive."""
    seen = {"shm": "ok" if libc.shmget(KEY_RUN, 0, 0) >= 0 else "ENOENT"}
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(f"\0run-{TAG}")
        seen["abstract"] = "ok"
    except OSError as exc:
        seen["abstract"] = errno.errorcode[exc.errno]
    seen["dev_shm"] = str(os.path.exists(f"/dev/shm/run-{TAG}"))
    return seen


report: dict = {"uid": os.getuid()}
with open(TTY, "w") as tty:
    tty.write("GRADER-CONTROL\n")
report["control_planted"] = [Path(p).read_text() for p in PLANTED]
segment = grader_segment()
key = add_grader_key()
listener = socket.create_server(("127.0.0.1", 0))
abstract = socket.socket(socket.AF_UNIX)
abstract.bind(f"\0grader-{TAG}")
abstract.listen()
look = LOOK.replace("{port}", str(listener.getsockname()[1]))
try:
    with Sandbox() as first:
        report["isolation"] = first.ensure_ready()
        sibling = first.clone()
        results: dict = {}

        def run(name: str, box: Sandbox, source: str) -> None:
            done = box.run(source, Probe("call", "answer"), LIMITS)
            results[name] = {"status": done.status, "reason": done.reason, "value": done.value}

        maker = threading.Thread(target=run, args=("A", first, MAKE))
        looker = threading.Thread(target=run, args=("B", sibling, look))
        maker.start()
        time.sleep(0.5)
        looker.start()
        time.sleep(2.0)
        report["grader_sees_run_A"] = grader_sees_runs()
        maker.join()
        looker.join()
        run("C", first, look.replace("time.sleep(1.5)", "pass"))
        run("hog", first, HOG)
        run("after_hog", first, look.replace("time.sleep(1.5)", "pass"))
        sibling.close()
    report["runs"] = results
    report["grader_sees_after"] = grader_sees_runs()
    found = libc.syscall(
        ctypes.c_long(SYS_KEYCTL),
        ctypes.c_long(KEYCTL_SEARCH),
        ctypes.c_long(KEY_SPEC_USER_KEYRING),
        b"user",
        f"run-{TAG}".encode(),
        ctypes.c_long(0),
    )
    report["grader_finds_run_key"] = found >= 0
finally:
    libc.shmctl(segment, 0, None)  # IPC_RMID
    libc.syscall(ctypes.c_long(SYS_KEYCTL), ctypes.c_long(KEYCTL_INVALIDATE), ctypes.c_long(key))
    listener.close()
    abstract.close()
print(json.dumps(report))

"""Keep a run away from the kernel's key store: its own empty session keyring, then no key calls.

(The same filter refuses System V and POSIX queue calls for a run whose IPC namespace could
not be capped, see :func:`fence_off_keys`.)

Kernel keys are not namespaced by uid alone: a run of an ordinary user's sandbox has that user's
kernel uid, and the runs of one root server share their dedicated uid, so a key one run adds to
its user keyring (``@u``) would wait there for the next run, and the grading user's own keys
would be within reach. So each run first joins a new, empty session keyring (what the kernel
itself looks up on its behalf finds nothing of the grader's), then a ``seccomp`` filter makes
``add_key``, ``request_key`` and ``keyctl`` fail with ``EPERM``, as Docker's default profile does.
System calls of another ABI (32-bit ``int 0x80``, x32) are refused the same way: no other door to
the same calls. ``/proc/keys`` is masked separately (``_confine.MASKED_PROC``).

Standard library only: the sandbox server imports it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os

#: Per machine: the audit arch of its native ABI and the numbers of add_key, request_key, keyctl.
ARCHES = {
    "x86_64": (0xC000003E, (248, 249, 250)),
    "aarch64": (0xC00000B7, (217, 218, 219)),
}
#: Per machine: every System V IPC call (shm*, sem*, msg*) and POSIX message-queue call, refused
#: as well where the run has no capped IPC namespace of its own (``ipc=True`` below).
IPC_CALLS = {
    "x86_64": (29, 30, 31, *range(64, 72), 220, *range(240, 246)),
    "aarch64": tuple(range(180, 198)),
}
X32_BIT = 0x40000000
KEYCTL_JOIN_SESSION_KEYRING = 1
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
RET_ALLOW, RET_DENY = 0x7FFF0000, 0x00050000 | errno.EPERM
LOAD_WORD, JUMP_IF_EQUAL, JUMP_IF_AT_LEAST, RETURN = 0x20, 0x15, 0x35, 0x06
ARCH_OFFSET, NUMBER_OFFSET = 4, 0

libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


class _Instruction(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_ushort),
        ("jt", ctypes.c_ubyte),
        ("jf", ctypes.c_ubyte),
        ("k", ctypes.c_uint),
    ]


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Instruction))]


def filter_program(
    arch: int, numbers: tuple[int, ...], x32: bool
) -> list[tuple[int, int, int, int]]:
    """Return the BPF instructions that refuse ``numbers`` (and any foreign ABI), allow the rest."""
    body: list[tuple[int, int, int, int]] = [
        (LOAD_WORD, 0, 0, ARCH_OFFSET),
        (JUMP_IF_EQUAL, 1, 0, arch),
        (RETURN, 0, 0, RET_DENY),
        (LOAD_WORD, 0, 0, NUMBER_OFFSET),
    ]
    tests = [(JUMP_IF_AT_LEAST, X32_BIT)] if x32 else []
    tests += [(JUMP_IF_EQUAL, number) for number in numbers]
    deny_at = len(body) + len(tests) + 1  # after the tests and the RETURN allow
    for code, value in tests:
        body.append((code, deny_at - len(body) - 1, 0, value))
    body += [(RETURN, 0, 0, RET_ALLOW), (RETURN, 0, 0, RET_DENY)]
    return body


def fence_off_keys(*, ipc: bool = False) -> None:
    """Join a new empty session keyring, then refuse every key system call from now on.

    ``ipc=True`` also refuses every System V IPC and POSIX message-queue call: for a run that
    shares the grader's IPC namespace (the degraded levels) or whose own could not be capped,
    none is better than the grader's or unbounded ones.

    Needs ``PR_SET_NO_NEW_PRIVS`` set already (an unprivileged process may not install a filter
    otherwise). Raises ``OSError`` on a machine it has no numbers for or if the kernel refuses:
    the run then fails instead of running with the key store in reach.
    """
    machine = os.uname().machine
    if machine not in ARCHES:
        raise OSError(errno.ENOSYS, f"no key-call filter for {machine}")
    arch, numbers = ARCHES[machine]
    keyctl = numbers[2]
    if ipc:
        numbers = (*numbers, *IPC_CALLS[machine])
    # A kernel built without keys answers ENOSYS: there is nothing to leave then.
    libc.syscall(ctypes.c_long(keyctl), ctypes.c_long(KEYCTL_JOIN_SESSION_KEYRING), None)
    code = filter_program(arch, numbers, x32=machine == "x86_64")
    instructions = (_Instruction * len(code))(*(_Instruction(*step) for step in code))
    program = _Program(len(code), instructions)
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(program), 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"install the key-call filter: {os.strerror(err)}")

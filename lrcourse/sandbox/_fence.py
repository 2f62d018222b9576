"""A run's system-call fence: no kernel keys, no new user namespaces, no capabilities left.

Installed by each run (``_zygote._child``) once its walls are up, after ``PR_SET_NO_NEW_PRIVS``:

* **Kernel keys.** Keys are not namespaced by uid alone: a run of an ordinary user's sandbox
  has that user's kernel uid, and the runs of one root server share their dedicated uid, so a
  key one run adds to its user keyring (``@u``) would wait there for the next, and the grading
  user's own keys would be within reach. The run joins a new, empty session keyring (what the
  kernel looks up on its behalf finds nothing of the grader's), then ``add_key``,
  ``request_key`` and ``keyctl`` fail with ``EPERM``, as in Docker's default profile.
  ``/proc/keys`` is masked separately (``_confine.MASKED_PROC``).
* **No new user namespace** (bubblewrap's ``--disable-userns``; Docker refuses the same calls):
  ``unshare`` and ``clone`` with ``CLONE_NEWUSER`` fail with ``EPERM``, and ``clone3``, whose
  flags a filter cannot read, with ``ENOSYS`` (the C library then falls back to ``clone``).
  Otherwise a run could gain every capability in a namespace of its own, and with them the
  kernel's least-trodden paths (``nf_tables`` in a network namespace of its own, say).
* **No capabilities** (:func:`drop_capabilities`): an ordinary user's run is root of its user
  namespace; it keeps that uid but loses the capabilities, as bubblewrap's runs do.
* **IPC, where it is not the run's own** (``ipc=True``): every System V IPC and POSIX
  message-queue call, for a run that shares the grader's IPC namespace (the degraded levels) or
  whose own could not be capped.

System calls of another ABI (32-bit ``int 0x80``, x32) are refused alike: no other door to the
same calls. Standard library only: the sandbox server imports it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os


class Calls:
    """One machine's system-call numbers the fence needs."""

    def __init__(self, arch: int, keys, unshare: int, clone: int, clone3: int, ipc) -> None:
        self.arch, self.keys, self.ipc = arch, tuple(keys), tuple(ipc)
        self.unshare, self.clone, self.clone3 = unshare, clone, clone3


#: Per machine: its native audit arch; add_key, request_key, keyctl; unshare, clone, clone3;
#: every System V IPC call (shm*, sem*, msg*) and POSIX message-queue call.
ARCHES = {
    "x86_64": Calls(
        0xC000003E,
        (248, 249, 250),
        272,
        56,
        435,
        (29, 30, 31, *range(64, 72), 220, *range(240, 246)),
    ),
    "aarch64": Calls(0xC00000B7, (217, 218, 219), 97, 220, 435, tuple(range(180, 198))),
}
X32_BIT = 0x40000000
CLONE_NEWUSER = 0x10000000
KEYCTL_JOIN_SESSION_KEYRING = 1
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
RET_ALLOW = 0x7FFF0000
RET_DENY = 0x00050000 | errno.EPERM
RET_NO_SUCH_CALL = 0x00050000 | errno.ENOSYS
LOAD_WORD, JUMP_IF_EQUAL, JUMP_IF_AT_LEAST, JUMP_IF_SET, RETURN = 0x20, 0x15, 0x35, 0x45, 0x06
NUMBER_OFFSET, ARCH_OFFSET, FIRST_ARGUMENT_OFFSET = 0, 4, 16  # low word of args[0] (little-endian)
CAPABILITY_VERSION_3 = 0x20080522

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


def filter_program(calls: Calls, *, x32: bool, ipc: bool) -> list[tuple[int, int, int, int]]:
    """Return the BPF instructions of the fence (see the module docstring), allowing the rest.

    Layout: check the arch, load the call's number, one test per refused number (jumping to
    the deny return), the ``clone3`` test, then the two calls whose first argument is looked at,
    and at the end the returns: allow, deny, no such call.
    """
    refused = [*calls.keys, *(calls.ipc if ipc else ())]
    program: list[tuple[int, int, int, int]] = [
        (LOAD_WORD, 0, 0, ARCH_OFFSET),
        (JUMP_IF_EQUAL, 1, 0, calls.arch),
        (RETURN, 0, 0, RET_DENY),
        (LOAD_WORD, 0, 0, NUMBER_OFFSET),
    ]
    tests = [("deny", JUMP_IF_AT_LEAST, X32_BIT)] if x32 else []
    tests += [("deny", JUMP_IF_EQUAL, number) for number in refused]
    tests += [("no-such-call", JUMP_IF_EQUAL, calls.clone3)]
    flag_checks = 4  # the unshare and clone tests, load the flags, test them
    allow_at = len(program) + len(tests) + flag_checks
    target = {"allow": allow_at, "deny": allow_at + 1, "no-such-call": allow_at + 2}
    for where, code, value in tests:
        program.append((code, target[where] - len(program) - 1, 0, value))
    # unshare(flags) and clone(flags, ...): refuse CLONE_NEWUSER, let everything else through.
    flags_at = len(program) + 2
    program.append((JUMP_IF_EQUAL, flags_at - len(program) - 1, 0, calls.unshare))
    program.append(
        (
            JUMP_IF_EQUAL,
            flags_at - len(program) - 1,
            target["allow"] - len(program) - 1,
            calls.clone,
        )
    )
    program.append((LOAD_WORD, 0, 0, FIRST_ARGUMENT_OFFSET))
    program.append((JUMP_IF_SET, target["deny"] - len(program) - 1, 0, CLONE_NEWUSER))
    program.append((RETURN, 0, 0, RET_ALLOW))
    assert len(program) == allow_at + 1, "the fence's jumps are out of step"
    program += [(RETURN, 0, 0, RET_DENY), (RETURN, 0, 0, RET_NO_SUCH_CALL)]
    return program


def drop_capabilities() -> None:
    """Clear this process's effective, permitted and inheritable capabilities (all of them)."""
    header = (ctypes.c_uint32 * 2)(CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()
    if libc.capset(header, data) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"drop capabilities: {os.strerror(err)}")


def join_new_session_keyring(calls: Calls) -> int:
    """Join a new, empty, anonymous session keyring; return its serial (-1: a kernel without keys)."""
    return libc.syscall(
        ctypes.c_long(calls.keys[2]), ctypes.c_long(KEYCTL_JOIN_SESSION_KEYRING), None
    )


def fence_off(*, ipc: bool = False) -> None:
    """Join a new empty session keyring, drop every capability, then install the fence.

    Needs ``PR_SET_NO_NEW_PRIVS`` set already (an unprivileged process may not install a filter
    otherwise). Raises ``OSError`` on a machine it has no numbers for or if the kernel refuses:
    the run then fails instead of running with the key store in reach.
    """
    machine = os.uname().machine
    if machine not in ARCHES:
        raise OSError(errno.ENOSYS, f"no system-call fence for {machine}")
    calls = ARCHES[machine]
    join_new_session_keyring(calls)  # a kernel built without keys: nothing to leave then
    drop_capabilities()
    code = filter_program(calls, x32=machine == "x86_64", ipc=ipc)
    instructions = (_Instruction * len(code))(*(_Instruction(*step) for step in code))
    program = _Program(len(code), instructions)
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(program), 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"install the system-call fence: {os.strerror(err)}")

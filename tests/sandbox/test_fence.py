"""The run's system-call fence: no key calls, no new user namespace, no capabilities, and no IPC
calls where the run's IPC namespace is not its own capped one.

Checked in a forked child of the test, which installs the same fence a run does
(``lrcourse.sandbox._fence.fence_off``); ``test_isolation.py`` checks it inside real runs.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import threading

import pytest

from lrcourse.sandbox import _fence

PR_SET_NO_NEW_PRIVS = 38
CLONE_NEWUSER, CLONE_NEWUTS = 0x10000000, 0x04000000
pytestmark = pytest.mark.skipif(
    os.uname().machine not in _fence.ARCHES, reason="the fence knows x86_64 and aarch64 only"
)


def _errno_of(result: int) -> int:
    return 0 if result >= 0 else ctypes.get_errno()


def _in_fenced_child(ipc: bool) -> dict[str, int]:
    """Fork, fence the child, try the calls there; return each call's errno (0: it worked)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
            _fence.fence_off(ipc=ipc)
            calls = _fence.ARCHES[os.uname().machine]
            add_key, _, keyctl = calls.keys
            seen = {
                "add_key": _errno_of(
                    libc.syscall(ctypes.c_long(add_key), b"user", b"k", b"v", 1, ctypes.c_long(-3))
                ),
                "keyctl": _errno_of(libc.syscall(ctypes.c_long(keyctl), 0, ctypes.c_long(-3), 0)),
                "shmget": _errno_of(libc.shmget(0, 4096, 0o1000 | 0o600)),
                "msgget": _errno_of(libc.msgget(0, 0o1000 | 0o600)),
                "unshare_user": _errno_of(libc.unshare(CLONE_NEWUSER)),
                "clone3": _errno_of(libc.syscall(ctypes.c_long(calls.clone3), None, 0)),
                "getpid": _errno_of(libc.getpid()),
                "pipe": _errno_of(libc.pipe((ctypes.c_int * 2)())),
            }
            # Without capabilities, even a namespace the fence lets through is refused.
            seen["unshare_uts"] = _errno_of(libc.unshare(CLONE_NEWUTS))
            child = os.fork()  # fork and threads (clone3 refused: the C library falls back)
            if child == 0:
                os._exit(7)
            seen["fork"] = os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])
            box = []
            thread = threading.Thread(target=lambda: box.append(1))
            thread.start()
            thread.join()
            seen["thread"] = len(box)
            with open("/proc/self/status") as status:
                caps = dict(line.split(":\t") for line in status if line.startswith("Cap"))
            seen["caps"] = [int(caps[k], 16) for k in ("CapInh", "CapPrm", "CapEff")]
            os.write(write, json.dumps(seen).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(data)


def test_key_calls_and_new_user_namespaces_are_refused_ordinary_calls_still_work() -> None:
    seen = _in_fenced_child(ipc=False)
    assert seen["add_key"] == seen["keyctl"] == errno.EPERM
    assert seen["unshare_user"] == errno.EPERM
    assert seen["clone3"] == errno.ENOSYS
    assert seen["getpid"] == seen["pipe"] == 0
    assert seen["fork"] == 7 and seen["thread"] == 1
    assert seen["shmget"] == seen["msgget"] == 0  # IPC is the run's own, capped namespace's


def test_no_capability_is_left() -> None:
    seen = _in_fenced_child(ipc=False)
    assert seen["caps"] == [0, 0, 0]
    assert seen["unshare_uts"] == errno.EPERM


def test_ipc_calls_are_refused_where_the_run_has_no_capped_ipc_namespace() -> None:
    seen = _in_fenced_child(ipc=True)
    assert seen["shmget"] == seen["msgget"] == errno.EPERM
    assert seen["add_key"] == errno.EPERM
    assert seen["getpid"] == seen["pipe"] == 0


@pytest.mark.parametrize("machine", sorted(_fence.ARCHES))
def test_every_jump_of_the_filter_lands_on_a_return(machine: str) -> None:
    calls = _fence.ARCHES[machine]
    program = _fence.filter_program(calls, x32=machine == "x86_64", ipc=True)
    returns = {i for i, (code, *_) in enumerate(program) if code == _fence.RETURN}
    allow, deny, no_such_call = len(program) - 3, len(program) - 2, len(program) - 1
    assert [program[i][3] for i in (allow, deny, no_such_call)] == [
        _fence.RET_ALLOW,
        _fence.RET_DENY,
        _fence.RET_NO_SUCH_CALL,
    ]
    refused = {value for code, jt, _, value in program[4:] if code != _fence.RETURN and jt}
    assert {*calls.keys, *calls.ipc, calls.clone3} <= refused
    for index, (code, jump_true, jump_false, _) in enumerate(program):
        if code in (_fence.JUMP_IF_EQUAL, _fence.JUMP_IF_AT_LEAST, _fence.JUMP_IF_SET):
            for target in (index + 1 + jump_true, index + 1 + jump_false):
                assert target < len(program)
        if code == _fence.JUMP_IF_SET:
            assert index + 1 + jump_true == deny
    assert returns >= {allow, deny, no_such_call}


def test_a_run_joins_a_new_empty_session_keyring() -> None:
    calls = _fence.ARCHES[os.uname().machine]
    libc = ctypes.CDLL(None, use_errno=True)
    keyctl = ctypes.c_long(calls.keys[2])
    get_id, read, session = ctypes.c_long(0), ctypes.c_long(11), ctypes.c_long(-3)
    mine = libc.syscall(keyctl, get_id, session, 1)  # this process's session keyring
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            joined = _fence.join_new_session_keyring(calls)
            now = libc.syscall(keyctl, get_id, session, 0)
            size = libc.syscall(keyctl, read, ctypes.c_long(now), None, 0)  # bytes of key ids
            os.write(write_end, json.dumps([joined, now, size]).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        joined, now, size = json.loads(pipe.read())
    os.waitpid(pid, 0)
    assert mine > 0 and joined == now > 0 and now != mine
    assert size == 0  # it holds no key

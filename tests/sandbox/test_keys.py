"""The run's system-call fence: key calls always refused, IPC calls too where IPC is not capped.

Checked in a forked child of the test, which installs the same filter a run does
(``lrcourse.sandbox._keys.fence_off_keys``); ``test_isolation.py`` checks it inside real runs.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os

import pytest

from lrcourse.sandbox import _keys

PR_SET_NO_NEW_PRIVS = 38
pytestmark = pytest.mark.skipif(
    os.uname().machine not in _keys.ARCHES, reason="the fence knows x86_64 and aarch64 only"
)


def _in_fenced_child(ipc: bool) -> dict[str, int]:
    """Fork, fence the child, try the calls there; return each call's errno (0: it worked)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
            _keys.fence_off_keys(ipc=ipc)
            add_key, _, keyctl = _keys.ARCHES[os.uname().machine][1]

            def errno_of(result: int) -> int:
                return 0 if result >= 0 else ctypes.get_errno()

            seen = {
                "add_key": errno_of(
                    libc.syscall(ctypes.c_long(add_key), b"user", b"k", b"v", 1, ctypes.c_long(-3))
                ),
                "keyctl": errno_of(libc.syscall(ctypes.c_long(keyctl), 0, ctypes.c_long(-3), 0)),
                "shmget": errno_of(libc.shmget(0, 4096, 0o1000 | 0o600)),
                "msgget": errno_of(libc.msgget(0, 0o1000 | 0o600)),
                "getpid": errno_of(libc.getpid()),
                "pipe": errno_of(libc.pipe((ctypes.c_int * 2)())),
            }
            if seen["shmget"] == 0:  # IPC_PRIVATE segment made: remove it again
                libc.shmctl(libc.shmget(0, 4096, 0o1000 | 0o600), 0, None)
            os.write(write, json.dumps(seen).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(data)


def test_key_calls_are_refused_and_ordinary_calls_still_work() -> None:
    seen = _in_fenced_child(ipc=False)
    assert seen["add_key"] == seen["keyctl"] == errno.EPERM
    assert seen["getpid"] == seen["pipe"] == 0
    assert seen["shmget"] == seen["msgget"] == 0  # IPC is the run's own, capped namespace's


def test_ipc_calls_are_refused_where_the_run_has_no_capped_ipc_namespace() -> None:
    seen = _in_fenced_child(ipc=True)
    assert seen["shmget"] == seen["msgget"] == errno.EPERM
    assert seen["add_key"] == errno.EPERM
    assert seen["getpid"] == seen["pipe"] == 0


def test_the_filter_sends_each_refused_call_to_the_deny_return() -> None:
    arch, numbers = _keys.ARCHES["x86_64"]
    program = _keys.filter_program(arch, numbers, x32=True)
    deny = len(program) - 1
    assert program[deny] == (_keys.RETURN, 0, 0, _keys.RET_DENY)
    assert program[deny - 1] == (_keys.RETURN, 0, 0, _keys.RET_ALLOW)
    tests = program[4:-2]
    assert [value for _, _, _, value in tests] == [_keys.X32_BIT, *numbers]
    for index, (code, jump_true, _, value) in enumerate(tests, start=4):
        assert code in (_keys.JUMP_IF_EQUAL, _keys.JUMP_IF_AT_LEAST)
        assert index + 1 + jump_true == deny, (index, value)

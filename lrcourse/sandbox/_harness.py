"""The child side of a sandbox run: execute the student's code, probe it, report once.

Runs inside the forked, sealed child (see ``_zygote.py``). It executes the source, runs the
probe, notes whether the modules the observers rely on were monkeypatched, and writes exactly
one JSON message of *observations* to the result descriptor, then exits without running the
student's ``atexit`` handlers.

Why nothing here needs to be secret: the student's code runs in this same process, so it can
reach anything this harness holds (its locals through ``sys._getframe``, the result descriptor
through ``/proc/self/fd``), rewrite the observers' code (``__code__``) or write a message of its
own and exit. No wall inside one address space can stop that, so the design gives it nothing to
gain. The message holds only what the code was seen to do (the rates its scheduler produced for
probe settings, the calls its loop made, what its function returned); no key, reference,
expected value, nonce or verdict ever enters the run; the grader draws the probe settings per
run and judges the observations against torch in its own process. A run that lies must
therefore produce what a correct, general solution would produce for settings it learns only
when it runs, which is what a correct answer does. A second message, or one that is not one
JSON object, marks the run ``forged``; the identity check of the watched modules
(:func:`_tampered`) is a courtesy that names the crude attempts, not a defence.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import os
import sys
from typing import Any


def _plain(value, depth=0):
    """Return ``value`` as JSON-ready data (tensors become lists); raise TypeError otherwise."""
    if depth > 20:
        raise TypeError("nested too deeply")
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v, depth + 1) for k, v in value.items()}
    tolist = getattr(value, "tolist", None)
    if callable(tolist) and type(value).__module__.startswith(("torch", "numpy")):
        return _plain(tolist(), depth + 1)
    raise TypeError(f"a {type(value).__name__} is not plain data (numbers, strings, lists)")


def _probe(probe: dict, namespace: dict):
    """Run the question's probe against the student's namespace; return what it observed."""
    kind, entry, args = probe.get("kind", "run"), probe.get("entry"), probe.get("args") or {}
    if kind == "run":
        return None
    if kind == "lab":  # a preloaded observer module's run_job, on the student's source
        runner = args["runner"]
        if runner not in _PRELOADED:
            raise ValueError(f"probe module {runner!r} was not preloaded by the server")
        module = sys.modules[runner]
        if "__prepared__" in namespace:  # the code already ran, before the job was read
            return module.run_job(
                {**args["job"], "source": namespace["__source__"]},
                prepared=namespace["__prepared__"],
            )
        return module.run_job({**args["job"], "source": namespace["__source__"]})
    if kind == "expression":
        return eval(compile(args["expression"], "<check>", "eval"), namespace)
    if entry not in namespace:
        raise NameError(f"your code does not define {entry!r}")
    target = namespace[entry]
    if kind == "call":
        return target(*args.get("args", []), **args.get("kwargs", {}))
    if kind == "trace_scheduler":
        from lrcourse.trace import trace_scheduler

        kwargs = args.get("kwargs", {})
        trace = trace_scheduler(lambda opt: target(opt, **kwargs), **args.get("trace", {}))
        return {
            "lrs": [list(g) for g in trace.lrs],
            "final_lrs": list(trace.final_lrs),
            "warnings": trace.warning_messages(),
        }
    raise ValueError(f"unknown probe kind {kind!r}")


#: Modules whose contents the grader relies on; student code must leave them as they were.
WATCHED_MODULES = (
    "torch",
    "torch.optim",
    "torch.optim.lr_scheduler",
    "torch.optim.optimizer",
    "torch.optim.sgd",
    "warnings",
    "json",
    "lrcourse.trace",
)
#: The caller's probe modules the server preloaded (see ``take_baseline``); watched as well.
_PRELOADED: tuple[str, ...] = ()


def _snapshot() -> list[tuple[str, Any, dict[Any, object]]]:
    """Return copies of the watched modules' tables, their classes' and their dicts' contents."""
    tables: list[tuple[str, Any, dict[Any, object]]] = []
    for name in WATCHED_MODULES + _PRELOADED:
        module = sys.modules.get(name)
        if module is None:
            continue
        tables.append((name, vars(module), dict(vars(module))))
        for attr, value in vars(module).items():
            if isinstance(value, type) and value.__module__ == name:
                tables.append((f"{name}.{attr}", vars(value), dict(vars(value))))
            elif type(value) is dict and attr.isupper():  # registries such as OBSERVERS
                tables.append((f"{name}.{attr}", value, dict(value)))
    return tables


def _tampered(before: list[tuple[str, Any, dict[Any, object]]]) -> str | None:
    """Return the first watched name whose entries were replaced or removed, else None."""
    for label, live, copy in before:
        for key, value in copy.items():
            if live.get(key, _MISSING) is not value:
                return f"{label}.{key}" if label != key else label
    return None


_MISSING = object()
#: The watched modules as the server left them (:func:`take_baseline`), or None.
_BASELINE: list[tuple[str, Any, dict[Any, object]]] | None = None


def take_baseline(preloaded: list[str] | tuple[str, ...] = ()) -> None:
    """Record the watched modules once, in the server, before it forks any run.

    Every run is forked from the server in this same state, so one record serves them all;
    taking it again in each child cost a millisecond of copy-on-write faults per run.
    """
    global _BASELINE, _PRELOADED
    _PRELOADED = tuple(preloaded)
    _BASELINE = _snapshot()


def _move_channel(res_fd: int) -> tuple[int, tuple[int, int]]:
    """Move the result descriptor off ``res_fd`` to a number drawn now; return it and its id.

    Code that writes a report of its own to fd 3 (where the sandbox hands the channel over)
    then writes nowhere: the message it forges is lost, and the run's own still counts. Code
    that looks for the channel must list or probe descriptors, which the grader's audit of
    the source sends to a person (``lrcourse.quiz.audit``); this is a courtesy, not a wall.
    """
    try:
        import fcntl
        import random

        lowest = random.SystemRandom().randrange(8, 48)
        moved = fcntl.fcntl(res_fd, fcntl.F_DUPFD_CLOEXEC, lowest)
        os.close(res_fd)
    except (OSError, ImportError):  # no room: keep the channel where it is
        moved = res_fd
    status = os.fstat(moved)
    return moved, (status.st_dev, status.st_ino)


def _kept(data: bytes):
    """Return a function that gives ``data`` back: held in a closure, not in a frame's locals."""
    return lambda: data


def run_harness(body: bytes, res_fd: int) -> None:
    """Run the student's code and the probe; write one message of observations to ``res_fd``.

    Before the student's code runs, the result descriptor is moved (see :func:`_move_channel`)
    and, for a ``lab`` probe whose runner can ``prepare`` the code first, the probe settings
    are held out of every frame the code could walk at that moment: they are read only once
    the code has run. A channel found replaced at the end is reported as such, not trusted.
    """
    dumps, write, exit_, getpid, fstat = json.dumps, os.write, os._exit, os.getpid, os.fstat
    harness_pid = getpid()
    res_fd, channel = _move_channel(res_fd)
    request = json.loads(body)
    del body
    status, value, error = "ok", None, None
    watched = _BASELINE if _BASELINE is not None else _snapshot()
    try:
        namespace = {"__name__": "__main__", "__builtins__": builtins}
        probe = request.pop("probe")
        runner = (
            sys.modules.get(probe.get("args", {}).get("runner", ""))
            if probe.get("kind") == "lab"
            else None
        )
        if probe.get("kind") == "lab":  # the observers execute the source themselves
            namespace["__source__"] = request["source"]
            if runner is not None and callable(getattr(runner, "prepare", None)):
                held = _kept(dumps(probe).encode())
                del probe
                namespace["__prepared__"] = runner.prepare(request["source"])
                probe = json.loads(held())
                del held
        else:
            exec(compile(request["source"], "<your answer>", "exec"), namespace)
        del request["source"]
        value = _plain(_probe(probe, namespace))
        changed = _tampered(watched)
        if changed:
            status, value, error = "tampered", None, f"your code changed {changed}"
    except MemoryError:
        status, error = "memory-limit", "MemoryError"
    except SyntaxError as exc:
        status, error = "syntax-error", f"SyntaxError: {exc.msg} (line {exc.lineno})"
    except BaseException as exc:  # SystemExit, KeyboardInterrupt, ... are all the student's
        status = "error"
        try:
            error = f"{type(exc).__name__}: {exc}"[:2000]
        except BaseException:
            error = type(exc).__name__
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BaseException):
            stream.flush()
    if getpid() != harness_pid:  # a copy the student's code forked: only the run itself reports
        exit_(0)
    try:
        now = fstat(res_fd)
        replaced = (now.st_dev, now.st_ino) != channel
    except BaseException:
        replaced = True
    if replaced:  # the code closed or replaced the channel: nothing it reported can be trusted
        status, value, error = "error", None, "your code closed or replaced the result channel"
    try:
        message = dumps({"status": status, "value": value, "error": error})
    except BaseException:
        message = dumps({"status": "error", "value": None, "error": "the value is not plain data"})
    try:
        data = (message + "\n").encode()
        while data:
            data = data[write(res_fd, data) :]
    finally:
        exit_(0)

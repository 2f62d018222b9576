"""Run code for the quiz engine: author snippets in-process, learner code in a bounded sandbox.

* :func:`run_snippet` executes a bank's own snippet (trusted: it is reviewed data in
  ``quizzes/``) with ``torch`` and ``lrcourse`` imported and returns what it printed. Results are
  cached by source, so a quiz that shows the same key twice runs it once.
* :func:`run_lab` executes a learner's answer to a ``code`` or ``fix-loop`` question out of
  process: in the grading helper's hardened sandbox (``lrcourse.sandbox.pool``: a warm server
  forking one locked-down child per run, wall-clock/CPU/memory/output limits) through its
  ``lab`` probe, which calls ``lrcourse.quiz.labs.run_job``. If that package is not installed, a
  minimal runner (:func:`run_lab_in_subprocess`: a fresh ``python -I`` process, process group
  killed at the timeout, CPU limit, stripped environment, private working directory) does it.
  Code that raises, exits or loops forever becomes a :class:`LabResult` saying so, never an
  exception in the grader; the verdict is computed in the caller's process (``check.py``).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from lrcourse.quiz.errors import QuizBankError

#: The module whose ``run_job`` observes a learner's code inside the sandbox (preloaded there).
LAB_RUNNER = "lrcourse.quiz.labs"
#: What the sandbox preloads for lab runs: the runner and the modules it takes its observers
#: from, each watched for tampering there as the runner is (``lrcourse.sandbox._harness``).
LAB_MODULES = (
    "lrcourse.quiz.lab_namespace",
    "lrcourse.quiz.lab_observers",
    "lrcourse.quiz.lab_loop",
    LAB_RUNNER,
)
#: Printed output kept from a learner run (the rest is dropped).
OUTPUT_LIMIT = 20_000


#: The warning filters of a plain ``python script.py`` (no ``-W``, no ``PYTHONWARNINGS``), most
#: specific first: a learner running a snippet sees exactly the warnings these let through.
PLAIN_PYTHON_FILTERS: tuple[tuple[str, type[Warning], str], ...] = (
    ("default", DeprecationWarning, "__main__"),
    ("ignore", DeprecationWarning, ""),
    ("ignore", PendingDeprecationWarning, ""),
    ("ignore", ImportWarning, ""),
    ("ignore", ResourceWarning, ""),
)


@dataclass(frozen=True)
class SnippetOutput:
    """What an author snippet printed, the warnings plain ``python`` shows, and the error it raised.

    ``warnings`` holds ``"Category: message"`` for each warning a learner's plain ``python``
    would show (its default filters: each shown once per location); ``stderr`` is what those
    warnings wrote there. ``error`` is one line (``"TypeError: ... (line 3 of code)"``) and
    ``error_types`` the names of the raised exception's classes, most derived first.
    """

    stdout: str
    error: str | None = None
    warnings: tuple[str, ...] = ()
    stderr: str = ""
    error_types: tuple[str, ...] = ()

    @property
    def error_type(self) -> str | None:
        """Return the raised exception's class name, or None when the snippet finished."""
        return self.error_types[0] if self.error_types else None


def _plain_python_warnings() -> None:
    """Set this thread's warning filters to those of a plain ``python`` run (call inside catch_warnings)."""
    warnings.resetwarnings()
    for action, category, module in reversed(PLAIN_PYTHON_FILTERS):
        warnings.filterwarnings(action, category=category, module=module)  # type: ignore[arg-type]


@functools.lru_cache(maxsize=256)
def run_snippet(code: str) -> SnippetOutput:
    """Return what the bank snippet ``code`` prints under real torch, as a learner's ``python`` runs it.

    The snippet runs as ``__main__`` with ``torch.manual_seed(0)``, under plain ``python``'s
    warning filters (so a warning is shown once per location, on ``sys.stderr``, where a
    snippet that inspects stderr finds it); the warnings shown are recorded as well.
    """
    import torch

    import lrcourse
    from lrcourse.quiz.labs import describe_error, torch_names

    namespace: dict[str, Any] = {**torch_names(), "lrcourse": lrcourse, "__name__": "__main__"}
    buffer, errors = io.StringIO(), io.StringIO()
    shown: list[str] = []

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        shown.append(f"{category.__name__}: {message}")
        text = warnings.formatwarning(message, category, filename, lineno, line)
        (file or sys.stderr).write(text)

    torch.manual_seed(0)
    error: BaseException | None = None
    with (
        warnings.catch_warnings(),
        contextlib.redirect_stdout(buffer),
        contextlib.redirect_stderr(errors),
    ):
        # catch_warnings() invalidates every module's "already shown here" registry, so each
        # snippet starts as a fresh process would.
        _plain_python_warnings()
        warnings.showwarning = show
        try:
            exec(compile(code, "<your code>", "exec"), namespace)
        except Exception as raised:  # a bank bug or a stated `raises:`: verify judges which
            error = raised
    if error is None:
        return SnippetOutput(buffer.getvalue(), warnings=tuple(shown), stderr=errors.getvalue())
    return SnippetOutput(
        buffer.getvalue(),
        describe_error(error).replace("your code", "code"),
        warnings=tuple(shown),
        stderr=errors.getvalue(),
        error_types=tuple(cls.__name__ for cls in type(error).__mro__ if cls is not object),
    )


def raises_matches(output: SnippetOutput, raises: str) -> bool:
    """Return True when ``output`` ended in the error ``raises`` names (``"TypeError"`` or ``"TypeError: fragment"``)."""
    name, _, fragment = raises.partition(":")
    if name.strip() not in output.error_types:
        return False
    return fragment.strip() in (output.error or "")


def shown_output(output: SnippetOutput, raises: str | None) -> str:
    """Return what a learner reads: the printed lines, then the stated error's class name."""
    if raises is None or output.error_type is None:
        return output.stdout
    separator = "" if not output.stdout or output.stdout.endswith("\n") else "\n"
    return f"{output.stdout}{separator}{raises.partition(':')[0].strip()}\n"


def snippet_stdout(code: str, where: str, raises: str | None = None) -> str:
    """Return what ``code`` shows (stdout, then the stated error's name), or raise :class:`QuizBankError`.

    A snippet that raises is a bank error unless ``raises`` states that error; one that states
    an error it does not raise is one too.
    """
    output = run_snippet(code)
    if raises is not None and not raises_matches(output, raises):
        found = f"raised {output.error}" if output.error else "finished without an error"
        raise QuizBankError([f"{where}: field 'raises': states {raises!r} but the code {found}"])
    if output.error and raises is None:
        raise QuizBankError([f"{where}: field 'code': raised {output.error}"])
    return shown_output(output, raises)


@dataclass(frozen=True)
class LabResult:
    """What a learner run produced: observations, or why there are none (timeout, crash)."""

    observations: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None
    stdout: str = ""
    stderr: str = ""

    @property
    def ok(self) -> bool:
        """Return True when the run finished and wrote its observations."""
        return self.problem is None


def _environment() -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _read_capped(path: Path) -> str:
    with open(path, "rb") as handle:
        data = handle.read(OUTPUT_LIMIT + 1)
    text = data[:OUTPUT_LIMIT].decode("utf-8", errors="replace")
    return text + ("\n[output cut]" if len(data) > OUTPUT_LIMIT else "")


#: What each sandbox status means for the learner (``lrcourse.sandbox.pool`` statuses).
SANDBOX_PROBLEMS = {
    "timeout": "stopped after {timeout:g} s: does your code loop forever?",
    "cpu-limit": "stopped: it used too much CPU time",
    "memory-limit": "stopped: it used too much memory",
    "output-limit": "stopped: it printed too much",
    "syntax-error": "your code did not run: {error}",
}


_SANDBOX: Any = None
_SANDBOX_LOCK = threading.Lock()


def _sandbox() -> Any:
    """Return this process's sandbox server, started on first use and stopped at exit."""
    global _SANDBOX
    with _SANDBOX_LOCK:
        if _SANDBOX is None:
            from lrcourse.sandbox.pool import Sandbox

            _SANDBOX = Sandbox(preload=LAB_MODULES)
            atexit.register(_SANDBOX.close)
        return _SANDBOX


def run_lab(job: dict[str, Any], timeout: float, *, isolated: bool = True) -> LabResult:
    """Run ``job`` (see ``labs.run_job``) in a sandboxed process for at most ``timeout`` seconds.

    Uses the grading sandbox (``lrcourse.sandbox.pool``: a warm server that forks one locked-down
    child per run) when it is installed, else :func:`run_lab_in_subprocess`. ``isolated=False``
    runs the job in this process instead, with no time limit: only for the bank's own reference
    and starter code (``lrcourse quiz verify``), never for a learner's answer.
    """
    if not isolated:
        from lrcourse.quiz.labs import run_job

        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            observations = run_job(job)
        return LabResult(observations=observations, stdout=buffer.getvalue()[:OUTPUT_LIMIT])
    try:
        from lrcourse.sandbox.pool import Limits, Probe
    except ImportError:
        return run_lab_in_subprocess(job, timeout)
    rest = {key: value for key, value in job.items() if key != "source"}
    result = _sandbox().run(
        job["source"],
        Probe("lab", args={"runner": LAB_RUNNER, "job": rest}),
        Limits(wall_s=timeout, cpu_s=timeout),
    )
    if result.status == "ok" and isinstance(result.value, dict):
        return LabResult(observations=result.value, stdout=result.stdout, stderr=result.stderr)
    template = SANDBOX_PROBLEMS.get(result.status)
    if template:
        problem = template.format(timeout=timeout, error=result.error)
    else:
        why = result.error or result.reason or result.status
        problem = f"your code ended the run before the checks finished ({why})"
    return LabResult(problem=problem, stdout=result.stdout, stderr=result.stderr)


def run_lab_in_subprocess(job: dict[str, Any], timeout: float) -> LabResult:
    """Run ``job`` in a fresh ``python -I -m lrcourse.quiz.labs`` process, killed after ``timeout``."""
    with tempfile.TemporaryDirectory(prefix="lrcourse-quiz-") as folder:
        work = Path(folder)
        job_path, result_path = work / "job.json", work / "result.json"
        # The child sets RLIMIT_CPU itself (no preexec_fn: the caller may be a threaded kernel).
        job_path.write_text(json.dumps({**job, "cpu_seconds": int(timeout) + 2}), encoding="utf-8")
        out_path, err_path = work / "stdout.txt", work / "stderr.txt"
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            process = subprocess.Popen(
                [sys.executable, "-I", "-m", "lrcourse.quiz.labs", str(job_path), str(result_path)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                cwd=work,
                env=_environment(),
                start_new_session=True,
            )
            try:
                code = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                return LabResult(
                    problem=f"stopped after {timeout:g} s: does your code loop forever?",
                    stdout=_read_capped(out_path),
                )
        stdout, stderr = _read_capped(out_path), _read_capped(err_path)
        if code == -signal.SIGXCPU or code == -signal.SIGKILL:
            return LabResult(problem="stopped: it used too much CPU time", stdout=stdout)
        if not result_path.exists():
            last = stderr.strip().splitlines()[-1:] or [f"exit code {code}"]
            return LabResult(
                problem=f"your code ended the run before the checks finished ({last[0]})",
                stdout=stdout,
                stderr=stderr,
            )
        try:
            observations = json.loads(result_path.read_text(encoding="utf-8"))
        except ValueError:
            return LabResult(problem="the run wrote an unreadable result", stdout=stdout)
        return LabResult(observations=observations, stdout=stdout, stderr=stderr)

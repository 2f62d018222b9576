"""The report channel of a run, hardened where it cheaply can be (the audit is the defence).

In the sandbox a ``lab`` run's harness moves the result descriptor off fd 3 before the learner's
code runs, and runs that code before it reads the job, so a report forged on fd 3 goes nowhere
and the code's top level finds no probe settings in any frame. A run that replaces the channel
loses its own report. None of this is a wall (code in the process can find the pipe with
``os.fstat``): each of these answers is also one the grader's audit sends to a person.
"""

from __future__ import annotations

import random

import pytest

from lrcourse.quiz.audit import audit_source
from lrcourse.quiz.judge import lab_job
from lrcourse.quiz.run import LAB_MODULES, LAB_RUNNER
from lrcourse.sandbox.pool import Limits, Probe, Sandbox
from tests.quiz.reference_invariant import course_questions

QUESTION = course_questions()["lr-basics.halve-every-scheduler"]
RIGHT = QUESTION.reference
WRITE_FD3 = 'import os\nos.write(3, b\'{"status": "ok", "value": {}}\\n\')\n' + RIGHT
WALK_FRAMES = (
    "import sys\nfound, frame = 0, sys._getframe()\n"
    "while frame is not None:\n"
    "    found += sum(isinstance(v, dict) and 'checks' in v for v in frame.f_locals.values())\n"
    "    found += sum(isinstance(v, dict) and 'job' in v for v in frame.f_locals.values())\n"
    "    frame = frame.f_back\n"
    "raise RuntimeError(f'settings found in {found} frame(s)')\n"
)
REPLACE_CHANNEL = (
    "import os, stat\nfor fd in range(3, 64):\n    try:\n"
    "        if stat.S_ISFIFO(os.fstat(fd).st_mode):\n"
    "            os.dup2(os.open('/dev/null', os.O_WRONLY), fd)\n"
    "    except OSError:\n        pass\n" + RIGHT
)


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(preload=LAB_MODULES) as box:
        yield box


def _run(sandbox: Sandbox, source: str):
    job = lab_job(QUESTION, "", random.Random(0))
    job.pop("source")
    return sandbox.run(
        source, Probe("lab", args={"runner": LAB_RUNNER, "job": job}), Limits(10, 10)
    )


def test_a_report_written_on_fd_3_goes_nowhere(sandbox) -> None:
    result = _run(sandbox, WRITE_FD3)
    assert result.status == "ok"
    assert "Bad file descriptor" in result.value["error"]


def test_the_codes_top_level_finds_no_probe_settings_in_any_frame(sandbox) -> None:
    result = _run(sandbox, WALK_FRAMES)
    assert result.status == "ok"
    assert "settings found in 0 frame(s)" in result.value["error"]


def test_a_run_that_replaces_the_channel_loses_its_own_report(sandbox) -> None:
    result = _run(sandbox, REPLACE_CHANNEL)
    assert result.status == "no-result"


def test_a_right_answer_still_reports(sandbox) -> None:
    result = _run(sandbox, RIGHT)
    assert result.status == "ok" and "observations" in result.value


@pytest.mark.parametrize("source", [WRITE_FD3, WALK_FRAMES, REPLACE_CHANNEL])
def test_each_is_an_answer_the_grader_sends_to_a_person(source: str) -> None:
    assert audit_source(source, QUESTION.forbids)


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("lrcourse.quiz.lab_namespace", "_optimizer"),
        ("lrcourse.quiz.lab_observers", "_plain"),
        ("lrcourse.quiz.lab_loop", "loop_weights"),
        (LAB_RUNNER, "observe_code"),
    ],
)
def test_rebinding_a_name_of_any_lab_module_is_reported(sandbox, module: str, name: str) -> None:
    # The observers live in several modules; each is preloaded and watched, not only the runner.
    assert module in LAB_MODULES
    result = _run(sandbox, f"import {module} as m\nm.{name} = lambda *a, **k: None\n" + RIGHT)
    assert result.status == "tampered"
    assert f"{module}.{name}" in result.error

"""The course's own answers earn full marks through the real grader, as root and as a user.

Every ``code`` and ``fix-loop`` question of every bank in ``quizzes/``, answered with its own
``reference``, graded by :class:`lrcourse.grading.grader.Grader` in the sandbox on probe
settings and value inputs drawn per run (twice each), scores 1.0 with status ``graded``: no
check runs judging code inside the run (issue 22, item 1: ``check_scheduler`` inside the run
once gave 0.286 and 0.5). Each question's ``starter``, a known-wrong answer, scores less.
``reference_invariant.py`` does the grading and prints the rows; run here as root and under
``setpriv`` as ``nobody``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.quiz.reference_invariant import course_questions
from tests.sandbox.test_sandbox_unprivileged import NOBODY, _as_nobody_script

SCRIPT = Path(__file__).with_name("reference_invariant.py")
ROOT = Path(__file__).resolve().parents[2]


#: What each expectation in a file name means for the question's result: (score, statuses).
EXPECTED = {
    "full": (lambda score: score == 1.0, ("graded",)),
    "zero": (lambda score: score < 1.0, ("graded", "no-result", "forged", "error", "timeout")),
    "review": (lambda score: score == 0.0, ("needs-review",)),
}
#: Texts no graded feedback may hold: a value check's hidden inputs or torch's own value.
LEAKS = (
    "torch gives",
    " with w0=",
    " with epochs=",
    " with lrs=",
    " with n=",
    "torch's reference 0",
)


def _check(report: dict) -> None:
    questions = course_questions()
    rows = report["rows"]
    references = [r for r in rows if r[0] == "reference"]
    starters = [r for r in rows if r[0] == "starter"]
    assert len(references) == 2 * len(questions) and len(starters) == len(questions)
    print(f"\n{len(questions)} code and fix-loop questions, isolation {report['isolation']}")
    print(f"{'answer':<90} {'expected':<8} {'score':>5} {'status':<12} ok")
    wrong = []
    for who, question_id, score, status, reason, feedback in rows:
        if who in ("reference", "starter"):
            name, expected = f"{who} of {question_id}", "full" if who == "reference" else "zero"
        else:
            name, expected = who, who.rsplit("--", 1)[1]
        scored, statuses = EXPECTED[expected]
        ok = scored(score) and status in statuses
        ok = ok and not any(leak in reason + feedback for leak in LEAKS)
        question = questions[question_id]
        hidden = [  # a trace's reference class, where the prompt does not name it
            c.reference.split("(")[0]
            for c in getattr(question, "checks", [])
            if c.kind == "trace" and c.reference.split("(")[0] not in question.prompt
        ]
        ok = ok and not any(f"torch's {name}" in reason + feedback for name in hidden)
        if expected == "review":  # the reason names the construct and line, or what was built
            ok = ok and ("line " in reason or "builds a torch." in reason)
        print(f"{name[:90]:<90} {expected:<8} {score:>5.2f} {status:<12} {'yes' if ok else 'NO'}")
        if not ok:
            wrong.append((name, score, status, reason[:300]))
    honest = [r for r in rows if r[0].startswith("honest:")]
    hostile = [r for r in rows if r[0].startswith("hostile:")]
    print(f"{len(honest)} honest controls, {len(hostile)} hostile answers, {len(wrong)} wrong")
    assert len(honest) >= 25 and len(hostile) >= 20
    assert wrong == [], "every answer must get the outcome its name expects"


def test_every_reference_answer_scores_full_marks_through_the_grader_as_root() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "2"], capture_output=True, text=True, timeout=600, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    if os.geteuid() == 0:
        assert report["isolation"] == "namespace+uid"
    _check(report)


@pytest.mark.slow  # the root run is in make test; this mode in CI
@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None or shutil.which("unshare") is None,
    reason="switching to an ordinary user needs root and util-linux (setpriv, unshare), as in CI",
)
def test_every_reference_answer_scores_full_marks_through_the_grader_as_an_ordinary_user() -> None:
    home = Path(tempfile.mkdtemp(prefix="lrcourse-home-", dir="/tmp"))
    try:
        os.chown(home, NOBODY, NOBODY)
        script = _as_nobody_script([sys.executable, str(SCRIPT), "2"], home)
        done = subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=home,
        )
    finally:
        shutil.rmtree(home)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["uid"] == NOBODY and report["isolation"] == "namespace"
    _check(report)

"""Grade every code and fix-loop question of every course bank with its own reference answer.

Run by ``test_reference_invariant.py``: as root in its own process and, under ``setpriv``, as an
ordinary user. It grades through the real grader (:class:`lrcourse.grading.grader.Grader`, a
sandbox pool, probe settings drawn per run) each question's ``reference`` (twice), its
``starter`` (a known-wrong answer), the honest learner answers of ``tests/files/honest/`` and
the hostile answers to course questions of ``tests/files/submissions/course/``
(``<question-id>@<attack>--<expected>.py``), then prints one JSON line: the isolation level,
the uid and one row per answer.
"""

import json
import os
import sys
from pathlib import Path

from lrcourse.grading.collect import Answer, Submission
from lrcourse.grading.grader import Grader
from lrcourse.grading.manifest import Manifest, Slot
from lrcourse.quiz.bank import load_bank, quiz_dir
from lrcourse.quiz.model import Code, FixLoop
from lrcourse.quiz.run import LAB_MODULES
from lrcourse.sandbox.pool import Limits, SandboxPool

FILES = Path(__file__).resolve().parents[1] / "files"
HONEST = FILES / "honest"
HOSTILE = FILES / "submissions" / "course"
#: Limits of a real class run (the CLI's defaults are larger; these still fit every reference).
LIMITS = Limits(wall_s=20.0, cpu_s=10.0, memory_mb=512)


def course_questions() -> dict[str, Code | FixLoop]:
    """Return every code and fix-loop question of the course's banks, by id."""
    found: dict[str, Code | FixLoop] = {}
    for path in sorted(quiz_dir().glob("*.yaml")):
        for question in load_bank(path).bank.questions:
            if isinstance(question, Code | FixLoop):
                found[question.id] = question
    return found


def main(rounds: int) -> None:
    questions = course_questions()
    slots = [Slot(question_id=q, type=v.type, checksum="-") for q, v in questions.items()]
    manifest = Manifest(
        assignment="reference-invariant",
        seed=0,
        release="shared",
        variants=False,
        students=["reference", "starter"],
        slots=slots,
    )
    rows = []
    with SandboxPool(size=2, hide=[quiz_dir(), FILES], preload=LAB_MODULES) as pool:
        grader = Grader(manifest, dict(questions), pool, LIMITS, probe_key=None)

        def grade(who: str, answers: dict[str, str]) -> None:
            given = {q: Answer(q, source=text) for q, text in answers.items()}
            submission = Submission(who, Path("-"), who, given)
            for r in grader.grade_one(submission, list(answers)):
                rows.append([who, r.question_id, r.score, r.status, r.reason, r.feedback])

        for _ in range(rounds):
            grade("reference", {q: v.reference for q, v in questions.items()})
        grade("starter", {q: v.starter for q, v in questions.items()})
        for path in sorted(HONEST.glob("*.py")):
            grade(f"honest:{path.stem}--full", {path.stem.split("--")[0]: path.read_text()})
        for path in sorted(HOSTILE.glob("*.py")):
            grade(f"hostile:{path.stem}", {path.stem.split("@")[0]: path.read_text()})
        isolation = pool.isolation
    print(json.dumps({"uid": os.getuid(), "isolation": isolation, "rows": rows}))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2)

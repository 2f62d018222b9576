"""The hostile corpus: every broken or malicious submission gets the right score and a reason.

One grading run over ``tests/files/submissions/<attack>--<expected>.ipynb`` (plus a 50 MB file
made here): the expected outcome is in each name, the expected reason in ``REASONS``. The
honest submissions in the same run must still get full marks.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from lrcourse.grading.grade import GradeOptions, GradeReport, grade_folder
from lrcourse.grading.gradebook import Gradebook, GradeRow
from lrcourse.grading.manifest import Manifest, load_questions
from tests.grading.helpers import BANKS, CORPUS, GOLDEN, HIDDEN, TEST_LIMITS
from tests.sandbox.helpers import sandbox_processes

CODE_Q = "grading-test.make-step-scheduler"
PICK_Q = "grading-test.where-lr-is-used"
MULTI_Q = "grading-test.true-statements"

#: attack -> (question, accepted statuses, texts of which the reason must contain one)
REASONS: dict[str, tuple[str, str, str]] = {
    "infinite-loop": (CODE_Q, ("timeout", "cpu-limit"), ("wall clock", "of CPU")),
    "infinite-loop-in-scheduler": (CODE_Q, ("timeout", "cpu-limit"), ("wall clock", "of CPU")),
    "sleep-forever": (CODE_Q, ("timeout",), ("wall clock",)),
    "memory-bomb": (CODE_Q, ("graded",), ("MemoryError",)),
    "memory-bomb-growing": (CODE_Q, ("graded",), ("MemoryError",)),
    "fork-bomb": (CODE_Q, ("timeout", "cpu-limit"), ("wall clock", "of CPU")),
    # Every copy meets the process limit; only the run itself reports it (not "forged").
    "fork-bomb-unguarded": (CODE_Q, ("graded",), ("BlockingIOError",)),
    "thread-bomb": (CODE_Q, ("graded",), ("RuntimeError",)),
    "sys-exit-zero": (CODE_Q, ("graded",), ("SystemExit",)),
    "os-exit-zero": (CODE_Q, ("no-result",), ("ended",)),
    "raise-base-exception": (CODE_Q, ("graded",), ("BaseException",)),
    "raise-keyboard-interrupt": (CODE_Q, ("graded",), ("KeyboardInterrupt",)),
    "recursion-bomb": (CODE_Q, ("graded",), ("RecursionError",)),
    "syntax-error": (CODE_Q, ("graded",), ("SyntaxError",)),
    "print-100-mb": (CODE_Q, ("output-limit",), ("printed more than",)),
    "print-forever": (CODE_Q, ("output-limit",), ("printed more than",)),
    "write-100-mb-file": (CODE_Q, ("graded",), ("File too large",)),
    "read-bank-files": (CODE_Q, ("graded",), ("no bank file readable",)),
    "read-git-objects": (CODE_Q, ("graded",), ("no .git", "FileNotFoundError")),
    "read-grader-environ": (CODE_Q, ("graded",), ("PermissionError", "FileNotFoundError")),
    "write-gradebook": (CODE_Q, ("graded",), ("0 of 1 checks pass",)),
    "write-into-repo": (CODE_Q, ("graded",), ("Read-only file system", "PermissionError")),
    "monkeypatch-torch": (CODE_Q, ("tampered",), ("StepLR.get_lr",)),
    "monkeypatch-observers": (CODE_Q, ("tampered",), ("OBSERVERS",)),
    "forge-result-pipe": (CODE_Q, ("forged",), ("second or malformed result",)),
    "forge-stdout-verdict": (CODE_Q, ("graded",), ("0 of 1 checks pass",)),
    "corrupt-json": (CODE_Q, ("unreadable",), ("not valid notebook JSON",)),
    "non-utf8": (CODE_Q, ("unreadable",), ("not UTF-8",)),
    "not-a-notebook": (CODE_Q, ("unreadable",), ("no list of cells",)),
    "empty-file": (CODE_Q, ("unreadable",), ("not valid notebook JSON",)),
    "nested-json-bomb": (CODE_Q, ("unreadable",), ("not valid notebook JSON",)),
    "huge-50-mb": (CODE_Q, ("unreadable",), ("MB are not graded",)),
    "untouched-release": (CODE_Q, ("not-answered",), ("as released",)),
    "answers-missing": (PICK_Q, ("not-answered",), ("no answer cell",)),
    "answer-duplicated": (PICK_Q, ("invalid",), ("2 answer cells",)),
    "answer-is-an-expression": (PICK_Q, ("invalid",), ("plain value",)),
    "answer-wrong-type": (MULTI_Q, ("invalid",), ("list of option keys",)),
    "forged-metadata-and-outputs": (CODE_Q, ("graded",), ("0 of 1 checks pass",)),
}


def _fifty_megabytes(folder: Path) -> Path:
    """Write a valid notebook padded to 50 MB with a huge output (made here, never committed)."""
    notebook = json.loads((CORPUS / "correct--full.ipynb").read_text())
    notebook["cells"][0]["metadata"]["padding"] = "x" * (50 * 2**20)
    path = folder / "huge-50-mb--zero.ipynb"
    path.write_text(json.dumps(notebook))
    return path


@pytest.fixture(scope="module")
def graded(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[GradeReport, dict[str, dict[str, GradeRow]]]:
    folder = tmp_path_factory.mktemp("submissions")
    for path in CORPUS.glob("*.ipynb"):
        shutil.copy(path, folder / path.name)
    _fifty_megabytes(folder)

    manifest = Manifest.load(GOLDEN / "manifest.json")
    options = GradeOptions(limits=TEST_LIMITS, jobs=2, progress=False, hide=HIDDEN)
    with Gradebook(tmp_path_factory.mktemp("book") / "gradebook.sqlite") as book:
        report = grade_folder(folder, manifest, book, load_questions(BANKS), options)
        rows = book.current_rows(manifest.assignment)
    if report.isolation != "namespace+uid":  # visible in the summary, not silent
        pytest.skip(
            f"the corpus expects full isolation (root, mount namespaces); got {report.isolation!r}"
        )
    by_student: dict[str, dict[str, GradeRow]] = {}
    for row in rows:
        by_student.setdefault(row.student, {})[row.question_id] = row
    return report, by_student


def test_the_corpus_has_at_least_thirty_hostile_or_broken_submissions() -> None:
    names = [p.stem for p in CORPUS.glob("*.ipynb")] + ["huge-50-mb--zero"]
    hostile = [n for n in names if not n.startswith(("correct--", "source-as-one-string--"))]
    assert len(hostile) >= 30
    assert {n.split("--")[0] for n in hostile if not n.endswith("--full")} <= set(REASONS)


@pytest.mark.parametrize("attack", sorted(REASONS))
def test_each_attack_gets_its_score_and_reason(graded, attack: str) -> None:
    _, by_student = graded
    [student] = [s for s in by_student if s.split("--")[0] == attack]
    expected = student.split("--")[1]
    rows = by_student[student]
    scores = {q: row.score for q, row in rows.items()}
    question, statuses, reasons = REASONS[attack]
    if expected == "zero":
        assert set(scores.values()) == {0.0}
    elif expected == "code-zero":
        assert scores.pop(CODE_Q) == 0.0
        assert set(scores.values()) == {1.0}, "the other answers of the same notebook still count"
    elif expected == "one-zero":
        assert scores.pop(question) == 0.0
        assert set(scores.values()) == {1.0}
    else:
        pytest.fail(f"unknown expectation {expected!r}")
    row = rows[question]
    assert row.status in statuses, row.reason
    assert any(text in row.reason for text in reasons), row.reason


@pytest.mark.parametrize(
    "honest",
    [
        "correct--full",
        "source-as-one-string--full",
        "fork-and-escape--full",
        "kill-the-grader--full",
    ],
)
def test_honest_submissions_in_the_same_run_get_full_marks(graded, honest: str) -> None:
    _, by_student = graded
    assert {row.score for row in by_student[honest].values()} == {1.0}


def test_every_sandbox_run_ends_within_its_limit_plus_one_second(graded) -> None:
    report, _ = graded
    assert report.code_runs >= 25
    slow = [(s, t) for s, _, t in report.run_seconds if t > TEST_LIMITS.wall_s + 1.0]
    assert slow == []


def test_nothing_escapes_the_run(graded) -> None:
    assert sandbox_processes() == []
    assert not (Path(__file__).resolve().parents[2] / "lrcourse" / "pwned.py").exists()
    assert not Path("/tmp/lrcourse-pwned").exists()  # answer-is-an-expression never ran

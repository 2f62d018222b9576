"""The hostile corpus: every broken or malicious submission gets the right score and a reason.

One grading run over ``tests/files/submissions/<attack>--<expected>.ipynb`` (plus a 50 MB file
made here): the expected outcome is in each name, the expected reason in ``REASONS``. The
honest submissions in the same run must still get full marks. The run happens in a work folder
holding marked files (an earlier export, feedback, a gradebook, a manifest); no marker of
those, nor any marker a run planted for later runs, may appear in a stored reason or feedback,
and nothing may be left in ``/tmp``, ``/var/tmp`` or ``/dev/shm``, nor any process.
"""

from __future__ import annotations

import json
import os
import re
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
PREDICT_Q = "grading-test.steplr-after-three"
NUMERIC_Q = "grading-test.rate-after-decay"
MULTI_Q = "grading-test.true-statements"
GRADED_ZERO = (CODE_Q, ("graded",), ("0 of 1 checks pass",))
NOT_FINITE = (CODE_Q, ("graded",), ("is not a finite rate",))
#: Markers of the instructor's files in the work folder; a run must never see them.
WORK_MARKERS = {
    "exports/grades.csv": "student,score\nmarker-earlier-export-5c2e,1\n",
    "exports/feedback/ann.md": "Worked solution: marker-feedback-solution-9a41\n",
    "exports/quiz.gift": "::q:: marker-gift-key-77d0 {=step}\n",
    "old-gradebook.sqlite": "marker-old-gradebook-3b18\n",
    "manifest.json": '{"note": "marker-manifest-e6f2"}\n',
}
#: A marker a run planted (in memory, /tmp, /var/tmp, /dev/shm) for a later run to find.
RUN_MARKER = re.compile(r"LRCMARK[0-9a-f]{24}Z")

#: attack -> (question, accepted statuses, texts of which the reason or feedback has one)
REASONS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
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
    "write-gradebook": GRADED_ZERO,
    "write-into-repo": (CODE_Q, ("graded",), ("Read-only file system", "PermissionError")),
    "monkeypatch-torch": (CODE_Q, ("tampered",), ("StepLR.get_lr",)),
    "monkeypatch-observers": (CODE_Q, ("tampered",), ("OBSERVERS",)),
    "forge-result-pipe": (CODE_Q, ("forged",), ("second or malformed result",)),
    "forge-stdout-verdict": GRADED_ZERO,
    # Verdicts are the grader's: forging, rewriting or swapping can only change observations,
    # which are judged against torch on settings drawn for this run.
    "forge-harness-frame": GRADED_ZERO,
    "write-result-then-exit": GRADED_ZERO,
    "forged-infinite-rates": NOT_FINITE,
    "forged-huge-int-rates": NOT_FINITE,
    "forged-megabyte-string": (CODE_Q, ("invalid",), ("not lists of rates",)),
    "forged-deep-nesting": (CODE_Q, ("forged",), ("second or malformed result",)),
    "rewrite-job-settings": GRADED_ZERO,
    "swap-observer-code": GRADED_ZERO,
    "lookup-table-scheduler": GRADED_ZERO,
    "ignores-param-groups": GRADED_ZERO,
    "infinite-lambda": (CODE_Q, ("graded",), ("must stay finite", "not a finite rate")),
    "nan-lambda": (CODE_Q, ("graded",), ("must stay finite", "not a finite rate")),
    "return-constant-rate": GRADED_ZERO,
    # Sealed runs: nothing of other runs, of the instructor or of the host is in reach.
    "leak-between-runs-1": (CODE_Q, ("graded",), ("foreign markers: []",)),
    "leak-between-runs-2": (CODE_Q, ("graded",), ("foreign markers: []",)),
    "leak-between-runs-3": (CODE_Q, ("graded",), ("foreign markers: []",)),
    "leak-between-runs-4": (CODE_Q, ("graded",), ("foreign markers: []",)),
    "hunt-instructor-files": (CODE_Q, ("graded",), ("RuntimeError: found",)),
    "list-host-processes": (CODE_Q, ("graded",), ("pids: 1 (line",)),
    "unmount-then-read-banks": (CODE_Q, ("graded",), ("no bank file readable",)),
    "connect-out": (CODE_Q, ("graded",), ("Network is unreachable",)),
    "fill-dev-shm": (CODE_Q, ("graded",), ("File too large", "No space left on device")),
    "write-outside-temp": (CODE_Q, ("graded",), ("Read-only file system (line",)),
    # Answers no comparison can take.
    "infinite-numeric-answer": (NUMERIC_Q, ("invalid",), ("finite number",)),
    "huge-int-numeric-answer": (NUMERIC_Q, ("invalid",), ("finite number",)),
    "nan-text-numeric-answer": (NUMERIC_Q, ("invalid",), ("not a finite number",)),
    "infinite-predict-answer": (PREDICT_Q, ("invalid",), ("not a finite number",)),
    "megabyte-predict-answer": (PREDICT_Q, ("invalid",), ("characters",)),
    "megabyte-option-answer": (PICK_Q, ("invalid",), ("characters",)),
    "infinity-in-option-list": (MULTI_Q, ("invalid",), ("list of option keys",)),
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
    "forged-metadata-and-outputs": GRADED_ZERO,
    # Credit the code did not earn (issue 23): the audit names what the answer reached for.
    "forge-observations-from-frames": (CODE_Q, ("needs-review",), ("sys._getframe",)),
    "forge-then-dev-null-over-fd3": (CODE_Q, ("needs-review",), ("import os",)),
    "find-channel-by-fstat": (CODE_Q, ("needs-review",), ("import os",)),
    "monkeypatch-check-scheduler": (CODE_Q, ("needs-review",), ("lrcourse.check_scheduler",)),
    "silence-warnings": (CODE_Q, ("needs-review",), ("line 2: warnings.simplefilter",)),
    "patch-scheduler-class": (CODE_Q, ("needs-review",), ("line 1: LambdaLR.get_lr",)),
    "delete-torch-class": (CODE_Q, ("needs-review",), ("deletes an attribute",)),
    "exec-hidden-code": (CODE_Q, ("needs-review",), ("line 1: exec()",)),
    "builtins-import": (CODE_Q, ("needs-review",), ("line 1: __builtins__",)),
    "eval-string": (CODE_Q, ("needs-review",), ("line 1: eval()",)),
    "function-globals": (CODE_Q, ("needs-review",), ("__globals__",)),
    "gc-find-the-job": (CODE_Q, ("needs-review",), ("line 1: import gc",)),
    "inspect-stack": (CODE_Q, ("needs-review",), ("line 1: import inspect",)),
    "traceback-frames": (CODE_Q, ("needs-review",), ("line 4:",)),
    "sys-modules-swap": (CODE_Q, ("needs-review",), ("sys.modules",)),
    "ctypes-poke": (CODE_Q, ("needs-review",), ("line 1: import ctypes",)),
    "read-proc-fd": (CODE_Q, ("needs-review",), ("'/proc/self/fd'",)),
    "subprocess-shell": (CODE_Q, ("needs-review",), ("line 1: import subprocess",)),
    # Right answers that reach for the process: they survive, but a person decides.
    "deep-tree": (CODE_Q, ("needs-review",), ("import os",)),
    "mode-000-folders": (CODE_Q, ("needs-review",), ("import os",)),
    "million-files": (CODE_Q, ("needs-review",), ("open()",)),
    "sockets-and-fifos": (CODE_Q, ("needs-review",), ("import os",)),
    "kill-every-process": (CODE_Q, ("needs-review",), ("import os",)),
    "kill-the-grader": (CODE_Q, ("needs-review",), ("import os",)),
    "fork-and-escape": (CODE_Q, ("needs-review",), ("import os",)),
    "prints-and-temp-files": (CODE_Q, ("needs-review",), ("import os",)),
}
#: Attacks whose answer the grader's audit reads as reaching for what an answer has no
#: business touching: whatever the run reported, they earn nothing and go to a person (the
#: reason names the construct and line, then what the checks alone found).
AUDITED = {
    "connect-out",
    "fill-dev-shm",
    "forge-harness-frame",
    "forge-result-pipe",
    "forged-deep-nesting",
    "forged-huge-int-rates",
    "forged-infinite-rates",
    "forged-megabyte-string",
    "fork-bomb",
    "fork-bomb-unguarded",
    "hunt-instructor-files",
    "leak-between-runs-1",
    "leak-between-runs-2",
    "leak-between-runs-3",
    "leak-between-runs-4",
    "list-host-processes",
    "monkeypatch-observers",
    "monkeypatch-torch",
    "os-exit-zero",
    "read-bank-files",
    "read-git-objects",
    "read-grader-environ",
    "rewrite-job-settings",
    "sleep-forever",
    "swap-observer-code",
    "sys-exit-zero",
    "thread-bomb",
    "unmount-then-read-banks",
    "write-100-mb-file",
    "write-gradebook",
    "write-into-repo",
    "write-outside-temp",
    "write-result-then-exit",
} | {a for a, (_, statuses, _) in REASONS.items() if statuses == ("needs-review",)}
REVIEW_PREFIX = "a person must look at this answer: it uses line "
#: Honest answers, and hostile ones whose answer is right: the grader must survive what they
#: leave behind (deep trees, mode-000 folders, a million files, sockets, fifos) and score them.
FULL = sorted(p.stem for p in CORPUS.glob("*--full.ipynb"))
#: Everything a run could leave in the host's shared temporary folders.
LEFTOVERS = ("lrcourse-plant-*", "hog", "fifo*", "sock*")


def _fifty_megabytes(folder: Path) -> Path:
    """Write a valid notebook padded to 50 MB with a huge output (made here, never committed)."""
    notebook = json.loads((CORPUS / "correct--full.ipynb").read_text())
    notebook["cells"][0]["metadata"]["padding"] = "x" * (50 * 2**20)
    path = folder / "huge-50-mb--zero.ipynb"
    path.write_text(json.dumps(notebook))
    return path


def fill_work_folder(work: Path) -> None:
    """Write the instructor's marked files (an earlier export, feedback, a gradebook...)."""
    for name, text in WORK_MARKERS.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(text)


def copy_corpus(folder: Path) -> None:
    """Copy every corpus file into ``folder`` and add the 50 MB one."""
    for path in CORPUS.glob("*.ipynb"):
        shutil.copy(path, folder / path.name)
    _fifty_megabytes(folder)


def leftovers() -> set[Path]:
    return {
        p
        for folder in ("/tmp", "/var/tmp", "/dev/shm")
        for g in LEFTOVERS
        for p in Path(folder).glob(g)
    }


@pytest.fixture(scope="module")
def graded(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[GradeReport, dict[str, dict[str, GradeRow]], set[Path]]:
    folder = tmp_path_factory.mktemp("submissions")
    copy_corpus(folder)
    work = tmp_path_factory.mktemp("work")  # the instructor's folder: marked files everywhere
    fill_work_folder(work)
    before = leftovers()

    manifest = Manifest.load(GOLDEN / "manifest.json")
    options = GradeOptions(limits=TEST_LIMITS, jobs=2, progress=False, hide=HIDDEN)
    here = os.getcwd()
    os.chdir(work)
    try:
        with Gradebook(work / "gradebook.sqlite") as book:
            report = grade_folder(folder, manifest, book, load_questions(BANKS), options)
            rows = book.current_rows(manifest.assignment)
    finally:
        os.chdir(here)
    if report.isolation != "namespace+uid":  # visible in the summary, not silent
        pytest.skip(
            f"the corpus expects full isolation (root, mount namespaces); got {report.isolation!r}"
        )
    by_student: dict[str, dict[str, GradeRow]] = {}
    for row in rows:
        by_student.setdefault(row.student, {})[row.question_id] = row
    return report, by_student, leftovers() - before


def test_the_corpus_has_at_least_a_hundred_submissions_most_of_them_hostile() -> None:
    names = [p.stem for p in CORPUS.glob("*.ipynb")] + ["huge-50-mb--zero"]
    assert len(names) >= 100
    hostile = [n for n in names if n not in FULL or n.split("--")[0] in REASONS]
    assert len(hostile) >= 90 and len(FULL) >= 7
    assert {n.split("--")[0] for n in names if n not in FULL} == set(REASONS)


def print_table(by_student: dict[str, dict[str, GradeRow]]) -> list[str]:
    """Print expected vs actual for every corpus item; return the items that do not match."""
    wrong = []
    print(f"\n{'item':<44} {'expected':<10} {'code':>5} {'status':<14} {'others':<7} ok")
    for student in sorted(by_student):
        attack, expected = student.rsplit("--", 1)
        rows = by_student[student]
        code = rows.get(CODE_Q)
        others = sorted({r.score for q, r in rows.items() if q != CODE_Q})
        try:
            if expected == "full":
                assert {row.score for row in rows.values()} == {1.0}
            else:
                check_attack(attack, by_student)
            ok = True
        except AssertionError:
            ok = False
            wrong.append(student)
        print(
            f"{attack[:44]:<44} {expected:<10} {code.score if code else -1:>5.2f} "
            f"{(code.status if code else '-'):<14} {others!s:<7} {'yes' if ok else 'NO'}"
        )
    print(f"{len(by_student)} items, {len(wrong)} not as expected")
    return wrong


def check_attack(attack: str, by_student: dict[str, dict[str, GradeRow]]) -> None:
    """Assert that ``attack``'s submission got the score, status and reason it expects."""
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
    elif expected in ("one-zero", "review"):
        assert scores.pop(question) == 0.0
        assert set(scores.values()) == {1.0}
    else:
        pytest.fail(f"unknown expectation {expected!r}")
    row = rows[question]
    if attack in AUDITED:  # earns nothing silently: a person decides, told what and where
        assert row.status == "needs-review", row.reason
        assert row.reason.startswith(REVIEW_PREFIX), row.reason
    else:
        assert row.status in statuses, row.reason
    said = row.reason + "\n" + row.feedback
    assert any(text in said for text in reasons), said[:2000]


def check_no_marker(by_student: dict[str, dict[str, GradeRow]]) -> None:
    """Assert that no stored reason or feedback holds a work-folder or a run's marker."""
    markers = [re.search(r"marker-[a-z-]+-[0-9a-f]{4}", t).group() for t in WORK_MARKERS.values()]
    for student, rows in by_student.items():
        for row in rows.values():
            said = row.reason + row.feedback
            assert not [m for m in markers if m in said], (student, said[:300])
            assert not RUN_MARKER.search(said), (student, said[:300])


def test_every_item_gets_what_its_name_expects_in_one_table(graded) -> None:
    assert print_table(graded[1]) == []


@pytest.mark.parametrize("attack", sorted(REASONS))
def test_each_attack_gets_its_score_and_reason(graded, attack: str) -> None:
    check_attack(attack, graded[1])


@pytest.mark.parametrize("honest", FULL)
def test_right_answers_in_the_same_run_get_full_marks(graded, honest: str) -> None:
    rows = graded[1][honest]
    assert {row.score for row in rows.values()} == {1.0}, [r.reason for r in rows.values()]


def test_no_stored_reason_or_feedback_holds_an_instructor_or_run_marker(graded) -> None:
    check_no_marker(graded[1])


def test_every_sandbox_run_ends_within_its_limit_plus_one_second(graded) -> None:
    report, _, _ = graded
    assert report.code_runs >= 60
    slow = [(s, t) for s, _, t in report.run_seconds if t > TEST_LIMITS.wall_s + 1.0]
    assert slow == []


def test_nothing_escapes_the_run(graded) -> None:
    _, _, left = graded
    assert left == set(), "runs left files in the host's /tmp, /var/tmp or /dev/shm"
    assert sandbox_processes() == []
    assert not (Path(__file__).resolve().parents[2] / "lrcourse" / "pwned.py").exists()
    assert not Path("/tmp/lrcourse-pwned").exists()  # answer-is-an-expression never ran


def test_an_audited_answer_reaches_the_review_sheet_and_its_feedback_waits_for_a_person(
    graded, tmp_path: Path
) -> None:
    from lrcourse.grading.feedback import feedback_markdown
    from lrcourse.grading.review import NEEDS_PERSON, ReviewItem, write_sheet

    by_student = graded[1]
    student = "patch-scheduler-class--review"
    row = by_student[student][CODE_Q]
    assert row.status in NEEDS_PERSON and row.score == 0.0
    sheet = tmp_path / "review.csv"
    write_sheet(
        [ReviewItem(student, CODE_Q, row.status, row.reason, row.answer, row.points)], sheet
    )
    text = sheet.read_text()
    assert "needs-review" in text and "line 1: LambdaLR.get_lr" in text
    manifest = Manifest.load(GOLDEN / "manifest.json")
    page = feedback_markdown(manifest, student, list(by_student[student].values()), {})
    assert "**waiting for a person**" in page
    # The page is Markdown with what the run wrote made inert: the name's '_' is escaped.
    assert r"line 1: LambdaLR.get\_lr" in page

"""What a student or a class list wrote is inert text: in feedback pages and on the terminal.

Issue 23, item 10: student text added remote images and links to the "self-contained" feedback
page; a message (an exception whose ``__str__`` raises gives the grader's own text, a message
that does not raise can say anything) or a class-list name with newlines forged a
"## Question 99 … 100/1" section or a score line; terminal escapes in ``grade``/``review``
output reached the instructor's terminal raw. One test per vector.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from lrcourse.cli import main
from lrcourse.grading.feedback import feedback_html, feedback_markdown
from lrcourse.grading.gradebook import GradeRow
from lrcourse.grading.inert import markdown_text, terminal_text
from lrcourse.grading.manifest import Manifest, RosterEntry
from lrcourse.grading.review import ReviewItem, walk
from tests.grading.helpers import BANKS, CHOICE_ONLY

SINGLE = "grading-test.where-lr-is-used"
CODE_Q = "grading-test.make-step-scheduler"
FORGED = (
    "boom\n\n## Question 99 · `forged`\n\n**right** (100 / 1)\n\nScore: 100 / 1\n"
    "![track](http://evil.example/pixel.png) [click](http://evil.example/) <http://evil.example/>"
    ' <img src="http://evil.example/raw.png">'
)
#: Control and format characters a terminal acts on (clear screen, carriage return, bidi).
TTY_ATTACK = "ok\x1b[2J\x1b]0;pwned\x07\r60 graded, mean 9/9\u202egnp.\x9b31m"


def _page(manifest: Manifest, questions, rows: list[GradeRow], student: str) -> tuple[str, str]:
    text = feedback_markdown(manifest, student, rows, questions)
    return text, feedback_html(text, "feedback")


def _assert_one_student_page(manifest: Manifest, text: str, page: str) -> None:
    """One title, one score line, one section per slot; no element that links or loads."""
    assert page.count("<h2>") == len(manifest.slots) and page.count("<h1>") == 1
    assert "Question 99" not in "".join(re.findall(r"<h2>.*?</h2>", page))
    assert len(re.findall(r"<p>Score: ", page)) == 1
    assert not re.search(r"<(img|a|script|iframe|link)\b", page)
    assert not re.search(r"<[^>]*\b(href|src)=", page)


def test_a_runs_message_cannot_forge_a_section_a_score_or_a_link(manifest, questions) -> None:
    rows = [GradeRow("ann", SINGLE, 0.0, 1.0, "graded", FORGED, "backward", FORGED)]
    text, page = _page(manifest, questions, rows, "ann")
    _assert_one_student_page(manifest, text, page)
    assert "evil.example" in page  # shown as the text it is, not dropped


def test_a_class_list_name_with_newlines_cannot_forge_a_heading_or_score(
    manifest, questions
) -> None:
    name = "Ann\n\nScore: 100 / 1\n\n## Question 99 · 100/1\n# Another student"
    manifest = manifest.model_copy(update={"roster": [RosterEntry(id="ann", name=name)]})
    rows = [GradeRow("ann", SINGLE, 1.0, 1.0, "graded", "", "step", "")]
    text, page = _page(manifest, questions, rows, "ann")
    _assert_one_student_page(manifest, text, page)
    assert text.splitlines()[0].startswith("# hw-test: feedback for Ann ⏎")


def test_a_reviewer_comment_pasted_from_a_student_is_inert(manifest, questions) -> None:
    row = GradeRow(
        "ann", SINGLE, 1.0, 1.0, "graded", "", "step", "", machine_score=0.0,
        reviewer="ta\n## Question 98", comment=FORGED,
    )  # fmt: skip
    text, page = _page(manifest, questions, [row], "ann")
    _assert_one_student_page(manifest, text, page)


def test_an_answer_with_markdown_and_html_stays_in_its_code_block(manifest, questions) -> None:
    answer = "```\n## Question 99\n````\n" + FORGED
    rows = [GradeRow("ann", SINGLE, 0.0, 1.0, "invalid", "not a key", answer, "")]
    text, page = _page(manifest, questions, rows, "ann")
    _assert_one_student_page(manifest, text, page)


def test_bank_links_are_not_rendered_either_the_page_points_nowhere() -> None:
    page = feedback_html("see [docs](https://pytorch.org) ![x](https://pytorch.org/x.png)", "t")
    assert "<a " not in page and "<img" not in page


def test_markdown_text_renders_exactly_its_characters() -> None:
    from markdown_it import MarkdownIt

    for text in ("a*b*_c_", "1. x", "- y", "> q", "`c`", "<b>x</b>", "a\\b", "#x", "[a](b)"):
        html = MarkdownIt("commonmark").renderInline(markdown_text(text))
        assert html == text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_terminal_text_shows_every_control_character_as_an_escape() -> None:
    shown = terminal_text(TTY_ATTACK)
    assert not any(c in shown for c in "\x1b\x07\r\u202e\x9b\n")
    assert "\\x1b[2J" in shown and "\\u202e" in shown
    assert terminal_text("line 1\nline 2\ttab", multiline=True) == "line 1\nline 2    tab"


def test_the_review_walk_shows_answers_and_reasons_inert() -> None:
    item = ReviewItem("ann", SINGLE, "invalid", TTY_ATTACK, TTY_ATTACK + "\nsecond", 1.0)
    said: list[str] = []
    walk([item], lambda _: "", said.append)
    out = "\n".join(said)
    assert not any(c in out for c in "\x1b\x07\r\u202e\x9b")
    # Each answer line is marked as the answer's, so none can pass for the tool's own line.
    assert "  | second" in out


def test_grade_output_never_prints_a_raw_escape(tmp_path: Path, capsys) -> None:
    ids = ",".join(CHOICE_ONLY)
    command = ["assign", "hw", "--banks", str(BANKS), "--questions", ids, "--out", str(tmp_path)]
    assert main(command) == 0
    release = tmp_path / "hw" / "release" / "hw.ipynb"
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(release, folder / "ann.ipynb")
    shutil.copy(release, folder / f"{TTY_ATTACK.replace('/', '')}.ipynb")
    capsys.readouterr()
    main(
        [
            "grade", str(folder), "--assignment", str(tmp_path / "hw"), "--banks", str(BANKS),
            "--gradebook", str(tmp_path / "book.sqlite"), "--no-progress",
        ]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert "pwned" in captured.out  # the stray file is named ...
    for stream in (captured.out, captured.err):
        assert not any(c in stream for c in "\x1b\x07\r\u202e\x9b")  # ... inert


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, EOFError])
def test_ctrl_c_or_ctrl_d_in_review_keeps_every_decision_typed(interrupt) -> None:
    items = [ReviewItem(s, "q.explain", "needs-review", "written", "because", 2.0) for s in "abc"]
    replies = iter(["1", "Good start.", "2"])

    def ask(_: str) -> str:
        try:
            return next(replies)
        except StopIteration:
            raise interrupt from None

    said: list[str] = []
    decisions = walk(items, ask, said.append)
    # a: points and comment; b: points typed, then Ctrl-C at the comment: the points are kept.
    assert [(d.student, d.points, d.comment) for d in decisions] == [
        ("a", 1.0, "Good start."),
        ("b", 2.0, ""),
    ]
    assert "2 decision(s) made so far are kept" in said[-1]


def test_the_reviewer_sees_the_rubric_the_student_will_see(manifest, questions) -> None:
    from lrcourse.grading.feedback import right_answer_lines

    item = ReviewItem("ann", SINGLE, "invalid", "not a key", "StepLR", 1.0)
    lines = right_answer_lines(questions[SINGLE])
    said: list[str] = []
    walk([item], lambda _: "", said.append, {("ann", SINGLE): lines})
    assert [line for line in said if line.startswith("rubric: ")] == [
        "rubric: " + line for line in lines
    ]
    rows = [GradeRow("ann", SINGLE, 0.0, 1.0, "invalid", "not a key", "StepLR", "")]
    assert all(line in feedback_markdown(manifest, "ann", rows, questions) for line in lines)


FORGING_CODE = {
    "str-raises": (
        "class Forged(Exception):\n"
        "    def __str__(self):\n"
        "        raise RuntimeError('\\n\\n## Question 99 · `x`\\n\\n**right** (100 / 1)')\n"
        "def make_scheduler(optimizer):\n"
        "    raise Forged()\n"
    ),
    "message-forges": (
        "def make_scheduler(optimizer):\n"
        "    raise ValueError('\\n\\n## Question 99 · `x`\\n\\n**right** (100 / 1)\\n\\nScore: 100 / 1"
        "\\n![p](http://evil.example/p.png)\\x1b[2J')\n"
    ),
}


@pytest.mark.parametrize("case", sorted(FORGING_CODE))
def test_a_graded_exception_cannot_forge_the_feedback_page(
    case: str, tmp_path: Path, manifest: Manifest, questions
) -> None:
    """Through the real grader: whatever a run's exception says (or fails to say) stays inert."""
    import nbformat

    from lrcourse.grading.gradebook import Gradebook
    from tests.grading.helpers import GOLDEN, grade_into

    notebook = nbformat.read(GOLDEN / "release" / "hw-test.ipynb", 4)
    for cell in notebook.cells:
        marker = cell.metadata.get("lrcourse", {})
        if marker.get("question") == CODE_Q and marker.get("role") == "answer":
            cell.source = FORGING_CODE[case]
    folder = tmp_path / "in"
    folder.mkdir()
    nbformat.write(notebook, folder / "ann.ipynb")
    book = tmp_path / "book.sqlite"
    grade_into(folder, book, manifest, questions)
    with Gradebook(book) as gradebook:
        rows = gradebook.current_rows(manifest.assignment)
    [code_row] = [r for r in rows if r.question_id == CODE_Q]
    assert code_row.score == 0
    text, page = _page(manifest, questions, rows, "ann")
    _assert_one_student_page(manifest, text, page)
    assert "\x1b" not in text and "\x1b" not in page


def test_gradebook_and_history_show_an_override_comment_inert(tmp_path: Path, capsys) -> None:
    import nbformat

    command = ["assign", "hw", "--banks", str(BANKS), "--questions", SINGLE, "--out", str(tmp_path)]
    assert main(command) == 0
    notebook = nbformat.read(tmp_path / "hw" / "release" / "hw.ipynb", 4)
    for cell in notebook.cells:
        if cell.metadata.get("lrcourse", {}).get("role") == "answer":
            cell.source = 'answer = "step"\n'
    folder = tmp_path / "in"
    folder.mkdir()
    nbformat.write(notebook, folder / "ann.ipynb")
    book = str(tmp_path / "book.sqlite")
    grade = ["grade", str(folder), "--assignment", str(tmp_path / "hw"), "--banks", str(BANKS)]
    assert main([*grade, "--gradebook", book, "--no-progress"]) == 0
    override = ["override", "hw", "--student", "ann", "--question", SINGLE, "--points", "0.5"]
    assert main([*override, "--comment", TTY_ATTACK, "--gradebook", book, "--who", "ta"]) == 0
    capsys.readouterr()
    assert main(["gradebook", "history", "--run", "2", "--gradebook", book]) == 0
    assert main(["gradebook", "history", "--gradebook", book]) == 0
    assert main(["gradebook", "hw", "--student", "ann", "--gradebook", book]) == 0
    out = capsys.readouterr().out
    assert "pwned" in out and not any(c in out for c in "\x1b\x07\r\u202e\x9b")


def test_ctrl_c_in_the_review_command_applies_what_was_typed_without_a_traceback(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    import sys

    import nbformat

    from lrcourse.grading.gradebook import Gradebook

    command = ["assign", "hw", "--banks", str(BANKS), "--questions", SINGLE, "--out", str(tmp_path)]
    assert main(command) == 0
    notebook = nbformat.read(tmp_path / "hw" / "release" / "hw.ipynb", 4)
    for cell in notebook.cells:
        if cell.metadata.get("lrcourse", {}).get("role") == "answer":
            cell.source = 'answer = "StepLR"\n'  # not an option key: waits for a person
    folder = tmp_path / "in"
    folder.mkdir()
    for student in ("ann", "bob"):
        nbformat.write(notebook, folder / f"{student}.ipynb")
    book = str(tmp_path / "book.sqlite")
    grade = ["grade", str(folder), "--assignment", str(tmp_path / "hw"), "--banks", str(BANKS)]
    main([*grade, "--gradebook", book, "--no-progress"])
    replies = iter(["1", "Meant step."])

    def typed(_: str) -> str:
        try:
            return next(replies)
        except StopIteration:
            raise KeyboardInterrupt from None

    monkeypatch.setattr("builtins.input", typed)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    capsys.readouterr()
    status = main(["review", "hw", "--gradebook", book, "--banks", str(BANKS), "--who", "ta"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert "1 decision(s) made so far are kept" in captured.out
    assert "run 2: 1 answer(s) reviewed" in captured.out
    assert "rubric: Correct answer:" in captured.out
    assert status == 1  # bob still waits
    with Gradebook(book) as gradebook:
        [ann] = [r for r in gradebook.current_rows("hw") if r.student == "ann"]
    assert (ann.score, ann.comment, ann.reviewer) == (1.0, "Meant step.", "ta")

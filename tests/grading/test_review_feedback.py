"""Review, validate, feedback and export details a class relies on."""

from __future__ import annotations

import csv
import io

from lrcourse.grading.export import ExportOptions, canvas_csv, moodle_csv
from lrcourse.grading.feedback import feedback_html, feedback_markdown
from lrcourse.grading.gradebook import GradeRow
from lrcourse.grading.inert import markdown_text
from lrcourse.grading.manifest import Manifest, RosterEntry
from lrcourse.grading.review import ReviewItem, walk
from lrcourse.grading.validate import check_cell

SINGLE = "grading-test.where-lr-is-used"


def _cell(source: str, kind: str, options: list[str] | None = None) -> dict:
    marker = {"question": "q", "role": "answer", "type": kind, "checksum": "-"}
    if options:
        marker["options"] = options
    return {"cell_type": "code", "source": source, "metadata": {"lrcourse": marker}}


def test_validate_names_the_format_slips_that_cost_points() -> None:
    keys = ["backward", "step", "zero-grad"]
    assert check_cell("q", [_cell('answer = "step"', "single", keys)]).ok
    wrong_key = check_cell("q", [_cell('answer = "StepLR"', "single", keys)])
    assert not wrong_key.ok and "the keys are backward, step, zero-grad" in wrong_key.message
    expression = check_cell("q", [_cell("answer = 0.8 * 0.5 ** 2", "numeric")])
    assert not expression.ok and "a plain number" in expression.message
    assert check_cell("q", [_cell("answer = 0.2", "numeric")]).ok
    code = check_cell("q", [_cell("def f(:\n", "code")])
    assert not code.ok and "does not parse" in code.message
    two = check_cell("q", [_cell("answer = 1", "numeric")] * 2)
    assert not two.ok and "2 answer cells" in two.message


def test_the_review_walk_records_points_and_comments_and_stops_on_q() -> None:
    items = [ReviewItem(s, "q.explain", "needs-review", "written", "because", 2.0) for s in "abc"]
    replies = iter(["5", "1.5", "Half the ideas.", "", "q"])
    said: list[str] = []
    decisions = walk(items, lambda _: next(replies), said.append)
    assert [(d.student, d.points, d.comment) for d in decisions] == [("a", 1.5, "Half the ideas.")]
    assert any("between 0 and 2" in line for line in said)  # 5 points was refused


def test_feedback_shows_their_answer_the_right_one_and_why_even_when_reason_equals_feedback(
    manifest: Manifest, questions
) -> None:
    why = "Not quite. Backward computes gradients only, zebra-feedback."
    rows = [GradeRow("s1", SINGLE, 0.0, 1.0, "graded", why, "backward", why)]
    text = feedback_markdown(manifest, "s1", rows, questions)
    assert "Your answer:\n- `backward`: `loss.backward()`" in text
    assert "Correct answer: `step`: `optimizer.step()`" in text
    shown = markdown_text(why)  # a run's message is inert text in the page
    assert f"Why: {shown}" in text and text.count(shown) == 1
    page = feedback_html(text, "hw: feedback for s1")
    assert "<code>optimizer.step()</code>" in page and "<script" not in page


def test_missing_roster_students_are_exported_as_zero_or_marked(manifest: Manifest) -> None:
    roster = [RosterEntry(id="ann", name="Ann Lee", canvas_id="7"), RosterEntry(id="bo")]
    manifest = manifest.model_copy(update={"roster": roster, "students": ["ann", "bo"]})
    rows = [GradeRow("ann", SINGLE, 1.0, 1.0, "graded", "", "step", "", late_factor=0.5)]
    table = list(csv.reader(io.StringIO(canvas_csv(manifest, rows))))
    assert table[2] == ["Ann Lee", "7", "ann", "ann", "", "0.5"]
    assert table[3] == ["bo", "", "bo", "bo", "", "0"]
    marked = moodle_csv(manifest, rows, ExportOptions(missing="mark"))
    assert "bo,-," in marked  # Moodle's "no grade" (grade/import/csv: '' or '-')
    canvas_marked = list(csv.reader(io.StringIO(canvas_csv(manifest, rows, ExportOptions("mark")))))
    assert canvas_marked[3] == ["bo", "", "bo", "bo", "", ""]  # Canvas's no score: blank

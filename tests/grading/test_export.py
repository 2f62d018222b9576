"""Exports: Canvas and Moodle CSVs, feedback files, item analysis, GIFT questions."""

from __future__ import annotations

import csv
import io
import re
import statistics

import torch

from lrcourse.grading.export import (
    canvas_csv,
    feedback_markdown,
    gift_questions,
    item_analysis,
    moodle_csv,
)
from lrcourse.grading.gradebook import GradeRow
from lrcourse.grading.manifest import Manifest, load_questions

PICK = "grading-test.where-lr-is-used"
MULTI = "grading-test.true-statements"


def _rows(manifest: Manifest) -> list[GradeRow]:
    """Six students: s0 answers everything right, s5 nothing; picks vary on PICK."""
    picks = ["step", "step", "step", "backward", "zero-grad", "backward"]
    rows = []
    for n, pick in enumerate(picks):
        for slot in manifest.slots:
            if slot.question_id == PICK:
                score, answer = float(pick == "step"), pick
            elif slot.question_id == MULTI:
                score, answer = (1.0, '["groups", "step-first"]') if n < 2 else (0.5, '["groups"]')
            else:
                score, answer = float(n < 3), "x"
            rows.append(GradeRow(f"s{n}", slot.question_id, score, 1.0, "graded", "", answer, ""))
    return rows


def test_canvas_csv_has_canvas_columns_points_possible_and_totals(manifest: Manifest) -> None:
    rows = _rows(manifest)
    table = list(csv.reader(io.StringIO(canvas_csv(manifest, rows))))
    assert table[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "hw-test"]
    assert table[1][0] == "Points Possible" and float(table[1][5]) == len(manifest.slots)
    totals = {r[0]: float(r[5]) for r in table[2:]}
    expected = {f"s{n}": sum(r.score for r in rows if r.student == f"s{n}") for n in range(6)}
    assert totals == expected
    assert all(r[2] == r[3] == r[0] for r in table[2:])


def test_moodle_csv_has_a_username_a_grade_column_and_the_maximum(manifest: Manifest) -> None:
    table = list(csv.reader(io.StringIO(moodle_csv(manifest, _rows(manifest)))))
    assert table[0] == ["Username", "hw-test", "Maximum"]
    assert len(table) == 7
    assert {float(row[2]) for row in table[1:]} == {manifest.possible()}


def test_item_analysis_matches_a_hand_computation(manifest: Manifest) -> None:
    rows = _rows(manifest)
    stats = {s.question_id: s for s in item_analysis(manifest, rows)}
    pick = stats[PICK]
    item = [1, 1, 1, 0, 0, 0]
    rest = [
        sum(r.score for r in rows if r.student == f"s{n}" and r.question_id != PICK)
        for n in range(6)
    ]
    assert pick.difficulty == statistics.fmean(item)
    assert abs(pick.point_biserial - statistics.correlation(item, rest)) < 1e-12
    assert pick.option_counts == {"backward": 2, "step": 3, "zero-grad": 1}
    assert stats[MULTI].option_counts == {"groups": 6, "step-first": 2}
    assert pick.upper_lower == 1.0  # top 2 by total both right, bottom 2 both wrong


def test_gift_export_marks_the_right_option_and_uses_torch_keys(questions) -> None:
    text = gift_questions(list(questions.values()))
    assert "=`optimizer.step()`#" in text and "~`loss.backward()`#" in text
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.2)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
    for _ in range(2):
        opt.step()
        sched.step()
    assert f"{{\n#{sched.get_last_lr()[0]!r}:" in text
    assert (
        "Skipped (no GIFT equivalent for code questions): grading-test.make-step-scheduler" in text
    )


def test_gift_shows_the_snippet_a_choice_question_asks_about() -> None:
    course = load_questions()  # the course's banks: choice questions with show_code: true
    shown = [
        q for q in course.values() if q.type in ("single", "multiple") and q.public().shown_code
    ]
    assert shown, "the course banks have 'what does this print?' choice questions"
    text = gift_questions(shown)
    for question in shown:
        first_line = question.public().shown_code.strip().splitlines()[0]
        block = text.split(f"::{question.id}::", 1)[1].split("\n}", 1)[0]
        unescaped = re.sub(r"\\(.)", r"\1", block)  # GIFT escapes ~=#{}: with a backslash
        assert first_line in unescaped, question.id


def test_feedback_says_what_was_wrong_with_the_hint_and_solution(manifest, questions) -> None:
    text = feedback_markdown(manifest, "s5", _rows(manifest), questions)
    assert "**wrong**" in text
    assert "*Hint:* Which call changes the weights?" in text
    assert "solution-text-marmot" in text  # the solution goes to the student after grading


def test_feedback_states_a_partial_credit_reason_once(manifest, questions) -> None:
    reason = "Partly right: 1 of 2 right options picked. Score 0.50."
    rows = [
        GradeRow(
            "s9", MULTI, 0.5, 1.0, "graded", reason, '["groups"]', f"{reason}\n- picked groups"
        )
    ]
    text = feedback_markdown(manifest, "s9", rows, questions)
    assert text.count(reason) == 1  # the multi-line message, fenced as it was written
    assert "- picked groups" in text

"""A value check's drawn inputs never land where a table of the answers the page shows passes."""

from __future__ import annotations

import random

from lrcourse.quiz.bank import find_question
from lrcourse.quiz.judge import EXTRA_DRAWS, draw_inputs, judge_lab, lab_job
from lrcourse.quiz.judge_checks import _torch_reference
from lrcourse.quiz.labs import run_job


def test_a_table_of_the_shown_answers_fails_on_every_draw_of_irregular_then_regular() -> None:
    _, question = find_question("steplr.irregular-then-regular")
    check = next(c for c in question.checks if c.kind == "value")

    def table(epochs: int) -> list[int]:  # the lookup an attacker writes from the page
        return [5, 12, 22] if epochs == 30 else [5, 12, 22, 32, 42]

    passed = []
    for seed in range(500):
        epochs = draw_inputs(check.inputs, random.Random(seed))["epochs"]
        if table(epochs) == _torch_reference(check.expected, epochs=epochs):
            passed.append(epochs)
    assert passed == []


#: Right only where fewer than six steps are asked for (about half of the 3-8 range), and a
#: constant elsewhere: the shape of a table that covers part of the input range.
PART_RIGHT = """
def weight_after(w0, curvature, lr, steps):
    if steps >= 6:
        return 0.0
    w = w0
    for _ in range(steps):
        w = w - lr * curvature * w
    return w
"""
RIGHT = PART_RIGHT.replace("    if steps >= 6:\n        return 0.0\n", "")


def test_graded_work_draws_several_inputs_so_an_answer_right_on_part_of_the_range_rarely_passes():
    _, question = find_question("lr-basics.weight-after-steps")
    passed = {"right": 0, "part": 0, "part, one draw": 0}
    runs = 60
    for seed in range(runs):
        for name, source in (("right", RIGHT), ("part", PART_RIGHT)):
            job = lab_job(question, source, random.Random(seed))
            value_checks = [c for c in job["checks"] if c["kind"] == "value"]
            assert all(len(c["more_values"]) == EXTRA_DRAWS for c in value_checks)
            passed[name] += judge_lab(question, run_job(job), job, reveal=False).correct
            if name == "part":  # the same run judged on its first draw alone, as before
                for check in job["checks"]:
                    check.pop("more_values", None)
                passed["part, one draw"] += judge_lab(question, run_job(job), job).correct
    print(passed)
    assert passed["right"] == runs
    # With one draw per check the part-right answer passes each of its 3 checks with chance ~1/2;
    # with 1 + EXTRA_DRAWS draws, with chance ~1/16 each.
    assert passed["part"] < passed["part, one draw"] / 4
    assert passed["part"] <= runs * 0.02


def test_practice_checks_keep_one_draw_so_feedback_can_show_its_inputs():
    _, question = find_question("lr-basics.weight-after-steps")
    job = lab_job(question, RIGHT)  # no rng: the chapter's widget and quiz verify
    assert not [c for c in job["checks"] if "more_values" in c]
    assert judge_lab(question, run_job(job), job).correct

"""One answer parser for Python and the book: forms a person types are read alike, and the
browser's twin (lrcourse/static/answers.js, run here in node) agrees with Python case by case."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import torch

from lrcourse.quiz.bank import find_question
from lrcourse.quiz.check import check_multiple, check_numeric, check_predict, same_output
from lrcourse.quiz.parse import (
    answer_tokens,
    format_problem,
    is_blank,
    parse_number,
    token_number,
)
from tests.quiz.helpers import exponential_sweep_printout

ANSWERS_JS = Path(__file__).resolve().parents[2] / "lrcourse" / "static" / "answers.js"


# (expected printout, typed answer): each pair must read alike in Python and in the browser.
OUTPUT_CASES = [
    ("['1e-03', '1e-02', '1e-01', '1e+00']", "1e-03 1e-02 1e-01 1e+00"),
    ("['1e-03', '1e-02', '1e-01', '1e+00']", "[0.001, 0.01, 0.1, 1.0]"),
    ("['1e-03', '1e-02', '1e-01', '1e+00']", '"1e-3"; "1e-2"; "0.1"; "1"'),
    ("['1e-03', '1e-02', '1e-01', '1e+00']", "0.001 0.01 0.1 10"),
    ("[0.1, 0.05]", "0.10\n0.050"),
    ("[0.1, 0.05]", "(0.1; 0.05)"),
    ("[0.1, 0.05]", "{0.1, 0.05}"),
    ("0.05000000074505806", "5E-2"),
    ("0.05", ".05"),
    ("5", "5."),
    ("0.05", "0.0501"),
    ("TypeError", "'TypeError'"),
    ("TypeError", "ValueError"),
    ("tensor([0.5000])", "tensor 0.5"),
    ("1.0 2.0", "1.0"),
    ("", "  "),
    ("-0.1", "0.1"),
    ("+0.1", "0.1"),
    ("1_000", "1000"),
    ("True", "true"),
]


def test_every_way_of_writing_the_exponential_sweep_is_right():
    _, question = find_question("lr-range.exponentiallr-sweep")
    printed = exponential_sweep_printout()
    for typed in [
        printed,
        "1e-03 1e-02 1e-01 1e+00",
        "[0.001, 0.01, 0.1, 1.0]",
        "0.001, 0.010, 0.100, 1",
        "1e-3\n1e-2\n1e-1\n1",
    ]:
        assert check_predict(question, typed).correct, typed
    assert not check_predict(question, "0.01 0.1 1 10").correct


def test_tokens_drop_separators_brackets_and_quotes():
    assert answer_tokens(" ['1e-03', \"x\"]; (2) {3}\n") == ["1e-03", "x", "2", "3"]
    assert token_number("'1e-03'") == pytest.approx(0.001)
    assert token_number("warm-up") is None


def test_a_single_number_is_read_in_any_usual_form_and_two_numbers_are_not_one():
    for typed in ["0.05", " 5e-2 ", "5E-2", ".05", "0.050", "[0.05]", "'0.05'", "+0.05"]:
        assert parse_number(typed) == pytest.approx(0.05), typed
    assert parse_number("0.05 0.1") is None
    assert parse_number("1/20") is None


def test_numeric_questions_accept_the_same_forms():
    _, question = find_question("lr-basics.one-sgd-step")
    w = torch.nn.Parameter(torch.tensor(2.0, dtype=torch.float64))
    sgd = torch.optim.SGD([w], lr=0.1)
    (w**2).backward()
    sgd.step()
    for typed in [f"{w.item()}", f"[{w.item()}]", f"'{w.item():.4f}'", f"{w.item():e}"]:
        assert check_numeric(question, typed).correct, typed


def test_blank_answers_are_not_attempts():
    assert all(is_blank(answer) for answer in [None, "", "  \n", [], set()])
    assert not any(is_blank(answer) for answer in ["0", [""], False, 0])


def test_partial_credit_is_only_called_partly_right_when_it_scores():
    _, question = find_question("lr-basics.rate-regimes")
    right = list(question.answers)
    wrong = [o.key for o in question.options if o.key not in right]
    half = check_multiple(question, right[:1])
    cancelled = check_multiple(question, [right[0], wrong[0]])
    assert half.score > 0 and half.feedback.startswith("Partly right")
    assert cancelled.score == 0 and cancelled.feedback.startswith("Not quite")


def _node(calls: list[list]) -> list:
    """Run ``[function, *arguments]`` calls against answers.js in node; return the results."""
    node = shutil.which("node")
    if node is None:
        pytest.skip(
            "node is not installed: the browser twin's parity is checked in Chromium instead"
        )
    script = (
        f"const a = require({json.dumps(str(ANSWERS_JS))});"
        "const calls = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify(calls.map(([f, ...args]) => a[f](...args))));"
    )
    done = subprocess.run(
        [node, "-e", script], input=json.dumps(calls), capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def test_browser_parser_matches_python_on_every_case():
    texts = [given for _, given in OUTPUT_CASES] + [expected for expected, _ in OUTPUT_CASES]
    calls = (
        [["sameOutput", expected, given] for expected, given in OUTPUT_CASES]
        + [["answerTokens", text] for text in texts]
        + [["parseNumber", text] for text in texts]
        + [["isBlank", text] for text in texts]
    )
    results = iter(_node(calls))
    for expected, given in OUTPUT_CASES:
        assert next(results) == same_output(expected, given), (expected, given)
    for text in texts:
        assert next(results) == answer_tokens(text), text
    for text in texts:
        assert next(results) == parse_number(text), text
    for text in texts:
        assert next(results) == is_blank(text), text


def test_browser_select_all_feedback_matches_python():
    _, question = find_question("lr-basics.rate-regimes")
    keys = [o.key for o in question.options]
    picks = [[], keys, list(question.answers), keys[:1], keys[1:3], keys[::2]]
    calls = [["gradeMultiple", list(question.answers), picked] for picked in picks]
    for picked, in_browser in zip(picks, _node(calls), strict=True):
        if not picked:
            continue  # a blank pick is not graded (quiz.js says "Pick an option first.")
        python = check_multiple(question, picked)
        assert in_browser["text"] == python.feedback, picked
        assert in_browser["score"] == pytest.approx(python.score), picked


# (kind, typed, printout or None, the slip's message starts with …; None: graded as an attempt)
SLIP_CASES = [
    ("numeric", "1,6", None, "Write decimals with a dot"),
    ("numeric", "lr = 1.6", None, "Type only the value, not an assignment"),
    ("numeric", "1 - 0.001", None, "Work the value out"),
    ("numeric", "1/20", None, "Work the value out"),
    ("numeric", "fast", None, "'fast' is not one number"),
    ("numeric", "0.05 0.1", None, "'0.05 0.1' is not one number"),
    ("numeric", "1.6", None, None),
    ("numeric", "[5e-2]", None, None),
    ("numeric", "-0.5", None, None),
    ("predict", "1,6", "1.6", "Write decimals with a dot"),
    ("predict", "lr = 0.05", "0.05", "Type only the value"),
    ("predict", "1 - 0.001", "0.999", "Work the value out"),
    ("predict", "0,1 0,05", "[0.1, 0.05]", "Write decimals with a dot"),
    ("predict", "0.1, 0.05", "[0.1, 0.05]", None),  # a comma between values is a separator
    ("predict", "0.1 0.05 0.025", "[0.1, 0.05]", None),  # a wrong count is a wrong answer
    ("predict", "0.1 nan", "[0.1, 0.05]", None),  # torch prints nan: a (wrong) prediction
    ("predict", "ValueError", "TypeError", None),  # torch prints a word: any word is graded
    ("predict", "tensor 0.5", "tensor([0.5000])", None),
]


def test_a_format_slip_is_a_message_not_a_graded_answer():
    for kind, typed, printout, message in SLIP_CASES:
        problem = format_problem(kind, typed, printout)
        if message is None:
            assert problem is None, typed
        else:
            assert problem is not None and problem.startswith(message), (typed, problem)
            assert typed.split()[0] in problem  # it quotes what was typed


def test_browser_format_slips_match_python():
    calls = [["formatProblem", kind, typed, printout] for kind, typed, printout, _ in SLIP_CASES]
    for (kind, typed, printout, _), in_browser in zip(SLIP_CASES, _node(calls), strict=True):
        assert in_browser == format_problem(kind, typed, printout), typed

"""`lrcourse quiz verify`: an honest account, errors and warnings as claims, prose against code, the wrong-key corpus."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lrcourse.cli import main

ROOT = Path(__file__).resolve().parents[2]
WRONG = ROOT / "tests" / "files" / "verify" / "typed-keys--wrong.yaml"


def run(capsys, *args: str) -> tuple[int, str, str]:
    status = main(["quiz", "verify", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_chapter_one_bank_verifies_and_the_table_counts_its_types(capsys):
    status, out, err = run(capsys, str(ROOT / "quizzes" / "01-learning-rate.yaml"))
    assert status == 0, err
    row = next(line for line in out.splitlines() if line.startswith("01-learning-rate"))
    assert row.split()[1:] == ["2", "1", "2", "3", "1", "1", "1", "1", "12"]


def steplr_prints_after_each_epoch() -> str:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    printed = []
    for _ in range(4):
        optimizer.step()
        scheduler.step()
        printed.append(str(round(scheduler.get_last_lr()[0], 6)))
    return ", ".join(printed)


def test_verify_exits_non_zero_naming_each_wrong_key(capsys):
    status, _, err = run(capsys, str(WRONG))
    assert status == 1
    lines = err.splitlines()
    assert lines[-1] == "6 problem(s) found"
    by_id = {line.split("question ")[1].split(":")[0].strip("'"): line for line in lines[:-1]}
    assert set(by_id) == {
        "wrong.steplr-trace",
        "wrong.exponential-numeric",
        "wrong.multistep-multiple",
        "wrong.reference-fails",
        "wrong.starter-bugs",
        "wrong.predict-raises",
    }
    assert all(line.startswith(f"{WRONG}: question ") for line in lines[:-1])


def test_the_typed_steplr_trace_is_caught_with_what_torch_prints(capsys):
    _, _, err = run(capsys, str(WRONG))
    line = next(line for line in err.splitlines() if "wrong.steplr-trace" in line)
    torch_prints = steplr_prints_after_each_epoch()
    assert torch_prints == "0.1, 0.05, 0.05, 0.025"
    assert "field 'answer'" in line
    assert f"typed key 'a' = '0.05, 0.05, 0.025, 0.025' but torch prints '{torch_prints}'" in line
    assert "(that is option 'b')" in line


def test_each_kind_of_wrong_key_says_expected_versus_torch(capsys):
    _, _, err = run(capsys, str(WRONG))
    lines = {
        line.split("question ")[1].split(":")[0].strip("'"): line for line in err.splitlines()[:-1]
    }
    exponential = 0.1 * 0.5**3
    assert f"typed key 0.025 but torch prints {exponential!r}" in lines["wrong.exponential-numeric"]
    assert (
        "typed keys ['hundredth', 'one'] but torch prints '1.0 0.1'"
        in lines["wrong.multistep-multiple"]
    )
    assert (
        "field 'reference': fails its checks in the sandbox on drawn settings: FAILED trace: group 0, step 2"
        in lines["wrong.reference-fails"]
    )
    assert (
        "typed ['scheduler-before-optimizer'] but the recorder finds ['per-batch-instead-of-per-epoch']"
        in lines["wrong.starter-bugs"]
    )
    assert "unexpected keyword argument 'verbose'" in lines["wrong.predict-raises"]


def test_a_malformed_bank_is_reported_as_one_line_not_a_traceback(capsys):
    broken = ROOT / "tests" / "files" / "banks" / "answer-not-an-option--error.yaml"
    status, _, err = run(capsys, str(broken))
    assert status == 1
    assert err.splitlines() == [
        f"{broken}: question 'bad.answer': field 'answer': 'c' is not an option key; valid: a, b",
        "1 problem(s) found",
    ]


def test_ids_must_be_unique_across_banks(tmp_path, capsys):
    source = (ROOT / "quizzes" / "01-learning-rate.yaml").read_text()
    (tmp_path / "01-a.yaml").write_text(source)
    (tmp_path / "02-b.yaml").write_text(source.replace("chapter: 1", "chapter: 2"))
    status, _, err = run(capsys, str(tmp_path))
    assert status == 1
    assert (
        f"{tmp_path / '02-b.yaml'}: question 'lr-basics.where-lr-is-applied': field 'id': also used in"
        in err
    )


def test_a_starter_that_already_passes_is_reported(tmp_path, capsys):
    source = (ROOT / "quizzes" / "05-custom-schedulers.yaml").read_text()
    start = source.index("  - id: lr-basics.manual-switch-lambda")
    end = source.index("\n  - id: ", start) + 1
    question = source[start:end].replace(
        "          # return the factor LambdaLR multiplies the initial lr by at this step\n          ...",
        "          return 0.2 ** (step // 100)",
    )
    bank = tmp_path / "01-x.yaml"
    bank.write_text('title: "x"\nchapter: 1\nquestions:\n' + question)
    status, _, err = run(capsys, str(bank))
    assert status == 1
    assert "field 'checks': the starter already passes every check" in err


def test_quiz_list_prints_every_question_of_a_bank(capsys):
    status = main(["quiz", "list", str(ROOT / "quizzes" / "01-learning-rate.yaml")])
    lines = capsys.readouterr().out.splitlines()
    assert status == 0 and len(lines) == 12
    assert "01-learning-rate  steplr.after-three-steps  predict  medium" in lines


# --- the wrong-key corpus: one bank per way an author states a wrong key --------------------

CORPUS = ROOT / "tests" / "files" / "verify"
CASES = sorted(CORPUS.glob("*--flagged.yaml")) + sorted(CORPUS.glob("*--unverifiable.yaml"))


def _expected(path: Path) -> str:
    """Return the fragment a corpus file says verify must print (its ``# expect:`` line)."""
    line = next(line for line in path.read_text().splitlines() if line.startswith("# expect: "))
    return line.removeprefix("# expect: ")


def test_the_corpus_has_a_case_for_at_least_twenty_ways_to_state_a_wrong_key():
    assert len(CASES) >= 20
    assert len({_expected(path) for path in CASES}) >= 20


@pytest.mark.parametrize("path", [p for p in CASES if p.stem.endswith("--flagged")], ids=str)
def test_each_flagged_case_is_reported_naming_file_question_and_the_mistake(path, capsys):
    status, out, err = run(capsys, str(path))
    assert status == 1
    problems = err.splitlines()[:-1]
    assert problems and all(line.startswith(f"{path}: question 'wrong.") for line in problems)
    assert any(_expected(path) in line for line in problems), err
    assert "every key decided by torch holds" not in out


@pytest.mark.parametrize("path", [p for p in CASES if p.stem.endswith("--unverifiable")], ids=str)
def test_each_unverifiable_case_is_listed_for_a_person_and_not_called_verified(path, capsys):
    status, out, err = run(capsys, str(path))
    assert status == 0, err
    listed = [line.strip() for line in out.splitlines() if line.startswith("  ")]
    assert listed == [f"{path.stem}: {_listed_note(path)}"]
    assert _expected(path) in listed[0]
    assert out.splitlines()[-1].startswith(
        "1 bank(s) checked, 0 key(s) decided by running torch, 1 conceptual key(s) listed"
    )


def _listed_note(path: Path) -> str:
    import yaml

    [question] = yaml.safe_load(path.read_text())["questions"]
    return f"{question['id']}: {question['review']}"


# --- the course's own banks and the account ---------------------------------------------------


def test_the_course_banks_verify_and_every_question_is_accounted_for(capsys):
    from lrcourse.quiz.bank import bank_paths, load_bank

    status, out, err = run(capsys)
    assert status == 0, err
    questions = [q for path in bank_paths() for q in load_bank(path).bank.questions]
    total = next(line for line in out.splitlines() if line.startswith("total "))
    torch_keys, conceptual, self_assessed, problems, skipped = map(int, total.split()[1:])
    assert torch_keys + conceptual + self_assessed == len(questions)
    assert (problems, skipped) == (0, 0)
    assert self_assessed == sum(q.type in ("explain", "flashcard") for q in questions)
    no_code = [q for q in questions if q.type in ("single", "multiple", "numeric") and not q.code]
    assert conceptual == len(no_code) and all(q.review for q in no_code)
    listed = [line for line in out.splitlines() if line.startswith("  ")]
    assert sorted(line.split(": ")[1] for line in listed) == sorted(q.id for q in no_code)
    assert out.splitlines()[-1] == (
        f"{len(bank_paths())} bank(s) checked, {torch_keys} key(s) decided by running torch, "
        f"{conceptual} conceptual key(s) listed for a person to review, {self_assessed} "
        "self-assessed question(s) without a key: every key decided by torch holds"
    )


def _bank(tmp_path: Path, body: str, name: str = "01-x.yaml") -> Path:
    path = tmp_path / name
    path.write_text('title: "x"\nchapter: 1\nquestions:\n' + body)
    return path


NO_CODE_CHOICE = """\
  - id: x.conceptual
    type: single
    difficulty: easy
    topics: [t]
    prompt: Which is a design choice?
    options:
      - {key: a, text: A, feedback: f}
      - {key: b, text: B, feedback: f}
    answer: a
    hint: h
    solution: [s]
    mistakes: [m]
"""


def test_a_key_without_code_is_never_counted_as_verified(tmp_path, capsys):
    bank = _bank(
        tmp_path, NO_CODE_CHOICE.replace("    answer: a\n", "    answer: a\n    review: Why.\n")
    )
    status, out, _ = run(capsys, str(bank))
    assert status == 0
    last = out.splitlines()[-1]
    assert last.startswith("1 bank(s) checked, 0 key(s) decided by running torch, 1 conceptual")
    assert "  01-x: x.conceptual: Why." in out.splitlines()


# --- bad invocations are usage errors (exit 2), never "0 bank(s) verified" --------------------


def test_a_folder_without_banks_is_a_usage_error(tmp_path, capsys):
    status, out, err = run(capsys, str(tmp_path))
    assert (status, out) == (2, "")
    assert err.strip() == f"lrcourse quiz verify: {tmp_path}: no quiz banks (*.yaml) in this folder"


def test_a_folder_of_yml_files_says_to_rename_them(tmp_path, capsys):
    (tmp_path / "01-x.yml").write_text("title: x\n")
    status, _, err = run(capsys, str(tmp_path))
    assert status == 2
    assert "only 01-x.yml: rename to .yaml" in err


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("01-x.yml", "banks are *.yaml files; rename it to 01-x.yaml"),
        ("notes.txt", "not a quiz bank (banks are *.yaml files)"),
        ("missing.yaml", "no such file or folder"),
    ],
)
def test_a_path_that_is_not_a_bank_is_a_usage_error(tmp_path, capsys, name, message):
    path = tmp_path / name
    if name != "missing.yaml":
        path.write_text("title: x\n")
    status, _, err = run(capsys, str(path))
    assert status == 2
    assert err.strip() == f"lrcourse quiz verify: {path}: {message}"


# --- snippets run as a learner's plain python runs them ---------------------------------------


def test_a_warning_in_a_loop_is_shown_once_on_stderr_as_plain_python_does():
    from lrcourse.quiz.run import run_snippet

    output = run_snippet(
        "import warnings\nfor _ in range(3):\n    warnings.warn('careful')\nprint('done')\n"
    )
    assert output.stdout == "done\n"
    assert output.warnings == ("UserWarning: careful",)
    assert output.stderr.count("UserWarning: careful") == 1


def test_torch_warnings_reach_a_snippet_that_reads_stderr_in_every_snippet():
    from lrcourse.quiz.run import run_snippet

    reads_stderr = (
        "import contextlib, io\nseen = io.StringIO()\nwith contextlib.redirect_stderr(seen):\n"
        "    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)\n"
        "    StepLR(opt, step_size=1).step()\n"
        "print('Detected call' in seen.getvalue())\n"
    )
    # Twice, as two snippets: the second must not be silenced by the first's registry.
    for suffix in ("", "# again\n"):
        assert run_snippet(reads_stderr + suffix).stdout == "True\n"


def test_a_deprecation_warning_shows_from_the_snippet_itself_only():
    from lrcourse.quiz.run import run_snippet

    mine = run_snippet("import warnings\nwarnings.warn('old', DeprecationWarning)\nprint(1)\n")
    assert mine.warnings == ("DeprecationWarning: old",)


def test_a_stated_error_ends_the_predict_key_with_its_name(tmp_path):
    from lrcourse.quiz.bank import load_bank
    from lrcourse.quiz.check import predict_key
    from lrcourse.quiz.verify import verify_bank

    bank = _bank(
        tmp_path,
        """\
  - id: x.raises
    type: predict
    difficulty: easy
    topics: [t]
    prompt: What happens?
    raises: "TypeError: not iterable"
    code: |
      opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
      print("building")
      MultiStepLR(opt, milestones=3)
    hint: h
    solution: [s]
    mistakes: [m]
""",
    )
    loaded = load_bank(bank)
    assert verify_bank(loaded) == []
    assert predict_key(loaded.bank.questions[0]) == "building\nTypeError\n"


def test_a_wide_tolerance_with_a_stated_reason_is_accepted(tmp_path):
    from lrcourse.quiz.bank import load_bank
    from lrcourse.quiz.verify import verify_bank

    source = (CORPUS / "tolerance-too-wide--flagged.yaml").read_text()
    loaded_wrong = load_bank(CORPUS / "tolerance-too-wide--flagged.yaml")
    assert verify_bank(loaded_wrong)
    explained = source.replace("tolerance: {rel: 0.3}", 'tolerance: {rel: 0.3, why: "a read-off"}')
    path = tmp_path / "01-explained.yaml"
    path.write_text(explained)
    assert verify_bank(load_bank(path)) == []


@pytest.mark.parametrize(
    "text",
    [
        "That would print 0.0125.",
        "Expecting it prints 0.0125 is the classic mistake.",
        "A tutorial says it prints `0.0125`.",
        "It prints `0.1 0.05`, then 0.05, 0.025.",
        "It prints 0.025 at the end.",
        "The loop prints 4 lines.",
        "Suppose it prints 0.3 first.",
    ],
)
def test_prose_that_is_not_a_claim_about_this_output_is_not_flagged(text):
    from lrcourse.quiz.claims import output_claims

    assert output_claims({"solution[0]": text}, "0.1\n0.05\n0.05\n0.025\n") == []


@pytest.mark.parametrize(
    ("text", "wrong"),
    [
        ("It prints 0.0125.", "0.0125"),
        ("It prints `0.1, 0.1`.", "0.1 0.1 in this order"),
        ("The output is `True`.", "True"),
    ],
)
def test_prose_that_misstates_the_output_is_flagged(text, wrong):
    from lrcourse.quiz.claims import output_claims

    [(field_name, message)] = output_claims({"solution[0]": text}, "0.1\n0.05\n0.05\n0.025\n")
    assert field_name == "solution[0]" and f"({wrong} is not in it)" in message


UNSTATED_WARNING = """\
  - id: x.warns-unstated
    type: predict
    difficulty: easy
    topics: [t]
    prompt: What does this print after 3 steps?
    code: |
      opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
      sched = StepLR(opt, step_size=1, gamma=0.5)
      for _ in range(4):
          print(round(opt.param_groups[0]["lr"], 6))
          sched.step()
          opt.step()
    hint: h
    solution: [s]
    mistakes: [m]
"""


def test_a_warning_no_claim_states_is_a_note_not_a_wrong_key(tmp_path, capsys):
    status, out, err = run(capsys, str(_bank(tmp_path, UNSTATED_WARNING)))
    assert status == 0, err
    notes = out.split("Notes (not problems):\n")[1].split("\n\n")[0].splitlines()
    assert len(notes) == 1
    assert "question 'x.warns-unstated': plain python also shows 'UserWarning: Detected" in notes[0]
    assert "state it with `warns: UserWarning`" in notes[0]


def test_a_shown_loop_is_not_held_to_the_prompts_step_count(tmp_path, capsys):
    # The learner reads range(4) themselves; the prompt's "after 3 steps" is the 4th print.
    status, _, err = run(capsys, str(_bank(tmp_path, UNSTATED_WARNING)))
    assert status == 0 and "loop calling .step()" not in err


def test_a_wrong_options_feedback_may_describe_what_that_option_would_print(tmp_path):
    from lrcourse.quiz.bank import load_bank
    from lrcourse.quiz.verify import verify_bank

    path = CORPUS / "feedback-states-wrong-output--flagged.yaml"
    source = (
        path.read_text()
        .replace("Right: two steps make two cuts, so it prints `0.025`.", "Right.")
        .replace("No: the rate is cut at step 2.", "This prints 0.1: the rate before any cut.")
    )
    bank = tmp_path / "01-feedback.yaml"
    bank.write_text(source)
    assert verify_bank(load_bank(bank)) == []


def test_a_bank_that_does_not_load_is_counted_as_skipped_not_verified(capsys):
    broken = ROOT / "tests" / "files" / "banks" / "answer-not-an-option--error.yaml"
    status, out, _ = run(capsys, str(broken))
    assert status == 1
    row = next(line for line in out.splitlines() if line.startswith("answer-not-an-option"))
    assert row.split()[1:] == ["0", "0", "0", "0", "1"]
    assert out.splitlines()[-1].endswith(
        "1 question(s) skipped (their bank did not load): see the problems"
    )


def _one_question(name: str) -> str:
    source = (ROOT / "quizzes" / "05-custom-schedulers.yaml").read_text()
    start = source.index(f"  - id: {name}")
    return source[start : source.index("\n  - id: ", start) + 1]


def test_a_check_that_only_works_outside_the_sandbox_is_reported(tmp_path, capsys):
    # Issue 22, item 1: `check_scheduler` called inside the run passed in this process and
    # failed in the grader's sandbox, whose package view lacks it. Verify runs keys as the
    # grader does, so that check is now a problem, not "every key holds".
    question = _one_question("custom-schedulers.write-guarded-exponential").replace(
        '      - {kind: properties, build: "MyExponential(opt, gamma=0.8)", epochs: 20}\n',
        "      - kind: value\n"
        "        expression: \"[c.detail for c in __import__('lrcourse').check_scheduler("
        'lambda optimizer: MyExponential(optimizer, gamma=0.8)).failures()]"\n'
        '        expected: "[]"\n',
    )
    assert "check_scheduler" in question
    status, _, err = run(capsys, str(_bank(tmp_path, question)))
    assert status == 1
    assert "field 'reference': fails its checks in the sandbox on drawn settings" in err
    assert "check_scheduler" in err


def test_a_reference_the_grader_would_send_to_a_person_is_reported(tmp_path, capsys):
    question = _one_question("lr-basics.halve-every-scheduler").replace(
        "    reference: |\n      class HalveEvery(torch.optim.lr_scheduler.LRScheduler):",
        "    reference: |\n      class HalveEvery(torch.optim.lr_scheduler.StepLR):",
    )
    question = question.replace(
        "          def get_lr(self):\n              return [\n"
        "                  base_lr * 0.5 ** (self.last_epoch // self.every) for base_lr in "
        "self.base_lrs\n              ]\n",
        "          pass\n",
    )
    status, _, err = run(capsys, str(_bank(tmp_path, question)))
    assert status == 1
    assert "the grader would send it to a person: line 1: torch.optim.lr_scheduler.StepLR" in err

"""`lrcourse quiz verify`: green on chapter 1, and it names every typed key torch contradicts."""

from __future__ import annotations

from pathlib import Path

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
    assert row.split()[1:] == ["2", "1", "2", "3", "2", "1", "1", "1", "13"]


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
        "field 'reference': fails its checks: FAILED trace: group 0, step 2"
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
    source = (ROOT / "quizzes" / "01-learning-rate.yaml").read_text()
    start = source.index("  - id: lr-basics.manual-switch-lambda")
    end = source.index("  - id: lr-basics.halve-every-scheduler")
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
    assert status == 0 and len(lines) == 13
    assert "01-learning-rate  steplr.after-three-steps  predict  hard" in lines

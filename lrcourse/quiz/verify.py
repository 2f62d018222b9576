"""Verify quiz banks against real torch: every snippet runs, every key and reference solution holds.

:func:`verify_banks` loads each bank and, question by question:

* ``predict``: the snippet runs and prints something (that output *is* the key);
* ``numeric``: ``code`` prints one number; a typed ``answer`` beside it must agree within tolerance;
* ``single``/``multiple`` with ``code``: what torch prints must be the ``value`` of the typed
  answer(s), and no two options may share a value;
* ``code``: the ``reference`` passes every check and the ``starter`` fails at least one (checks
  that nothing can fail prove nothing);
* ``fix-loop``: the ``reference`` loop is clean and its rates match torch; in the ``starter`` the
  recorder finds exactly ``starter_bugs``;
* across banks: ids are unique; a file ``NN-<slug>.yaml`` holds ``chapter: NN``.

Bank code is the authors' own, so it runs in this process; learners' code never does.
Every problem is one line: ``file: question 'id': field 'f': expected ... but torch ...``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from lrcourse.quiz.bank import BANK_NAME, LoadedBank, load_bank
from lrcourse.quiz.check import (
    check_code,
    numeric_key,
    record_loop,
    same_output,
    within_tolerance,
)
from lrcourse.quiz.errors import QuizBankError
from lrcourse.quiz.model import (
    QUESTION_TYPES,
    Code,
    FixLoop,
    MultipleChoice,
    Numeric,
    Predict,
    QuestionModel,
    SingleChoice,
)
from lrcourse.quiz.run import run_snippet


@dataclass
class VerifyReport:
    """What verification found: one line per problem, and the question types of each bank."""

    problems: list[str] = field(default_factory=list)
    counts: dict[str, Counter[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Return True when no problem was found."""
        return not self.problems

    def table(self) -> str:
        """Return a table of question counts: one row per bank, one column per type."""
        width = max([len(name) for name in self.counts] + [4])
        short = [t.replace("flashcard", "card") for t in QUESTION_TYPES]
        header = f"{'bank':<{width}} " + " ".join(f"{t:>8}" for t in short) + "    total"
        rows = [header]
        for name, counts in self.counts.items():
            cells = " ".join(f"{counts.get(t, 0):>8}" for t in QUESTION_TYPES)
            rows.append(f"{name:<{width}} {cells} {sum(counts.values()):>8}")
        return "\n".join(rows)


def _show(text: str) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= 120 else flat[:117] + "...")


class _Checker:
    def __init__(self, loaded: LoadedBank) -> None:
        self.path = loaded.path
        self.problems: list[str] = []

    def problem(self, question: QuestionModel, field_name: str, message: str) -> None:
        line = f"{self.path}: question {question.id!r}: field {field_name!r}: {message}"
        self.problems.append(" ".join(line.split()))

    def stdout(self, question: QuestionModel, code: str) -> str | None:
        output = run_snippet(code)
        if output.error:
            self.problem(question, "code", f"raised {output.error}")
            return None
        return output.stdout

    def predict(self, question: Predict) -> None:
        printed = self.stdout(question, question.code)
        if printed is not None and not printed.strip():
            self.problem(question, "code", "prints nothing: a predict snippet must print its key")

    def numeric(self, question: Numeric) -> None:
        if question.code is None:
            return
        try:
            key = numeric_key(question)
        except QuizBankError as error:
            self.problems.append(f"{self.path}: {error.problems[0]}")
            return
        if question.answer is not None and not within_tolerance(question, question.answer, key):
            self.problem(
                question, "answer", f"typed key {question.answer!r} but torch prints {key!r}"
            )

    def choice(self, question: SingleChoice | MultipleChoice) -> None:
        if question.code is None:
            return
        printed = self.stdout(question, question.code)
        if printed is None:
            return
        values = {option.key: option.value or "" for option in question.options}
        keys = list(values)
        for i, first in enumerate(keys):
            for second in keys[i + 1 :]:
                if same_output(values[first], values[second]):
                    self.problem(
                        question,
                        "options",
                        f"options {first!r} and {second!r} have the same value "
                        f"{_show(values[first])}",
                    )
        matching = [key for key in keys if same_output(values[key], printed)]
        if isinstance(question, SingleChoice):
            if not same_output(values[question.answer], printed):
                hint = f" (that is option {matching[0]!r})" if matching else " (no option has it)"
                self.problem(
                    question,
                    "answer",
                    f"typed key {question.answer!r} = {_show(values[question.answer])} but "
                    f"torch prints {_show(printed)}{hint}",
                )
            return
        lines = [line for line in printed.strip().splitlines() if line.strip()]
        printed_keys = sorted(
            key for key in keys if any(same_output(values[key], line) for line in lines)
        )
        if len(lines) != len(question.answers) or printed_keys != sorted(question.answers):
            self.problem(
                question,
                "answers",
                f"typed keys {sorted(question.answers)} but torch prints {_show(printed)} "
                f"(options {printed_keys})",
            )

    def code(self, question: Code) -> None:
        reference = check_code(question, question.reference, isolated=False)
        if not reference.correct:
            failed = "; ".join(line for line in reference.details if line.startswith("FAILED"))
            self.problem(question, "reference", f"fails its checks: {failed or reference.feedback}")
        starter = check_code(question, question.starter, isolated=False)
        if starter.correct:
            self.problem(
                question, "checks", "the starter already passes every check: they test nothing"
            )

    def fix_loop(self, question: FixLoop) -> None:
        problem, report = record_loop(question, question.reference, isolated=False)
        if report is None:
            self.problem(question, "reference", problem or "could not be run")
        elif not report.correct:
            found = ", ".join(report.bugs) or report.first_wrong_rate or "wrong rates"
            self.problem(question, "reference", f"the recorder finds {found}")
        problem, report = record_loop(question, question.starter, isolated=False)
        if report is None:
            self.problem(question, "starter", problem or "could not be run")
        elif sorted(report.bugs) != sorted(question.starter_bugs):
            self.problem(
                question,
                "starter_bugs",
                f"typed {sorted(question.starter_bugs)} but the recorder finds "
                f"{sorted(report.bugs) or 'no bug'}",
            )

    def question(self, question: QuestionModel) -> None:
        if isinstance(question, Predict):
            self.predict(question)
        elif isinstance(question, Numeric):
            self.numeric(question)
        elif isinstance(question, SingleChoice | MultipleChoice):
            self.choice(question)
        elif isinstance(question, Code):
            self.code(question)
        elif isinstance(question, FixLoop):
            self.fix_loop(question)


def verify_bank(loaded: LoadedBank) -> list[str]:
    """Return one line per wrong key, failing snippet or reference solution in ``loaded``."""
    checker = _Checker(loaded)
    match = BANK_NAME.match(loaded.stem)
    if match and int(match["chapter"]) != loaded.bank.chapter:
        checker.problems.append(
            f"{loaded.path}: question (none): field 'chapter': is {loaded.bank.chapter} but the "
            f"file name says {int(match['chapter'])}"
        )
    for question in loaded.bank.questions:
        checker.question(question)
    return checker.problems


def verify_banks(paths: Iterable[str | Path]) -> VerifyReport:
    """Verify every bank in ``paths`` (files or folders of ``*.yaml``); never raises for a bank."""
    report = VerifyReport()
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        files += sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    owners: dict[str, Path] = {}
    for path in files:
        try:
            loaded = load_bank(path)
        except QuizBankError as error:
            report.problems += error.problems
            continue
        report.counts[loaded.stem] = Counter(q.type for q in loaded.bank.questions)
        for question in loaded.bank.questions:
            if question.id in owners:
                report.problems.append(
                    f"{path}: question {question.id!r}: field 'id': also used in "
                    f"{owners[question.id]}; ids must be unique across banks"
                )
            owners.setdefault(question.id, path)
        report.problems += verify_bank(loaded)
    return report

"""Verify quiz banks against real torch, and account honestly for what was verified.

:func:`verify_banks` loads each bank and, question by question:

* ``predict``: the snippet runs and prints something (that output *is* the key);
* ``numeric``: ``code`` prints one number; a typed ``answer`` beside it must agree within
  tolerance, and the tolerance may not accept 0 or more than ``TOLERANCE_FRACTION`` of the key
  unless ``tolerance.why`` says why;
* ``single``/``multiple`` with ``code``: what torch prints must be the ``value`` of the typed
  answer(s), and no two options may share a value;
* ``raises``/``warns``: the snippet raises that error / plain ``python`` shows that warning
  (and a snippet that raises or warns without saying so is reported, pointing to the field);
* prose: outputs the prompt, solution or option feedback say the code prints are in what it
  prints; a step count the prompt names is what the code's loop runs;
* ``code``: the ``reference`` passes every check and the ``starter`` fails at least one (checks
  that nothing can fail prove nothing), run as the grader runs a hand-in: in the sandbox, on
  probe settings and value inputs drawn for the run, and read by the grader's audit (a course
  answer that a person would have to review is a problem);
* ``fix-loop``: the ``reference`` loop is clean and its rates match torch (in the sandbox, on
  drawn data); in the ``starter`` the recorder finds exactly ``starter_bugs``;
* ``single``/``multiple``/``numeric`` without code: a conceptual key, accepted only with a
  ``review:`` note saying why no code can decide it, and never when the question reads as one
  code could decide (it asks what code prints, its options are numbers or errors); verify lists
  every such key for a person;
* across banks: ids are unique; a file ``NN-<slug>.yaml`` holds ``chapter: NN``.

The report counts, per bank and in total, keys decided by running torch, conceptual keys,
self-assessed questions (``explain``, ``flashcard``: no key) and questions with a problem.
Snippets are the authors' own, so they run in this process; reference and starter answers run
in the sandbox, as a learner's answer does.
Every problem is one line: ``file: question 'id': field 'f': expected ... but torch ...``.

The account itself (:class:`VerifyReport`, :class:`BankAccount`) lives in ``verify_report.py``.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from lrcourse.quiz.audit import audit_source
from lrcourse.quiz.bank import BANK_NAME, LoadedBank, load_bank
from lrcourse.quiz.check import (
    allowed_error,
    check_code,
    record_loop,
    same_output,
    within_tolerance,
)
from lrcourse.quiz.claims import (
    decidable_reason,
    output_claims,
    step_count_claims,
    tolerance_claims,
)
from lrcourse.quiz.errors import QuizBankError
from lrcourse.quiz.model import (
    Code,
    FixLoop,
    MultipleChoice,
    Numeric,
    Predict,
    QuestionModel,
    SingleChoice,
)
from lrcourse.quiz.run import SnippetOutput, raises_matches, run_snippet, shown_output
from lrcourse.quiz.verify_report import OUTCOMES, BankAccount, VerifyReport

__all__ = [
    "DRAWS",
    "OUTCOMES",
    "BankAccount",
    "VerifyReport",
    "VerifyUsageError",
    "bank_files",
    "verify_bank",
    "verify_banks",
    "verify_question",
]

#: Runs of each code question's reference, each on probe settings drawn as the grader draws.
DRAWS = 2


class VerifyUsageError(QuizBankError):
    """Verify was pointed at something that is not a bank (no banks, a ``.yml`` file, no such path)."""


def _show(text: str) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= 120 else flat[:117] + "...")


def _prose(question: QuestionModel) -> dict[str, str]:
    """Return the prose a learner reads about a question, by field name."""
    texts = {"prompt": question.prompt} if hasattr(question, "prompt") else {}
    for index, step in enumerate(getattr(question, "solution", []) or []):
        texts[f"solution[{index}]"] = step
    # Only the right options' feedback speaks of the real output; a wrong option's feedback
    # describes what that option would mean ("this prints 0.05 0.05 ...").
    right = {getattr(question, "answer", None), *(getattr(question, "answers", None) or [])}
    for index, option in enumerate(getattr(question, "options", []) or []):
        if option.key in right:
            texts[f"options[{index}].feedback"] = option.feedback
    return texts


class _Checker:
    def __init__(self, loaded: LoadedBank) -> None:
        self.path = loaded.path
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.account = BankAccount()

    def problem(self, question: QuestionModel, field_name: str, message: str) -> None:
        line = f"{self.path}: question {question.id!r}: field {field_name!r}: {message}"
        self.problems.append(" ".join(line.split()))

    def run(self, question: Predict | Numeric | SingleChoice | MultipleChoice) -> str | None:
        """Run the question's code; check ``raises``/``warns``; return what a learner reads."""
        assert question.code is not None
        output = run_snippet(question.code)
        raises = getattr(question, "raises", None)
        self.warnings(question, output)
        if raises is not None and not raises_matches(output, raises):
            found = f"raised {output.error}" if output.error else "finished without an error"
            self.problem(question, "raises", f"states {raises!r} but the code {found}")
            return None
        if output.error and raises is None:
            name = output.error_type
            self.problem(
                question,
                "code",
                f"raised {output.error}. If the snippet is meant to raise, state it with "
                f"`raises: {name}` (verify checks it; a predict key then ends with {name!r}); "
                "otherwise fix the code",
            )
            return None
        printed = shown_output(output, raises)
        if not printed.strip():
            self.problem(
                question,
                "code",
                "prints nothing (empty output): the key is what the snippet prints, so print it "
                "with print(...)",
            )
            return None
        return printed

    def warnings(self, question: QuestionModel, output: SnippetOutput) -> None:
        warns = getattr(question, "warns", None)
        shown = "; ".join(output.warnings) or "none"
        if warns is not None:
            name, _, fragment = warns.partition(":")
            if not any(
                w.partition(":")[0] == name.strip() and fragment.strip() in w
                for w in output.warnings
            ):
                self.problem(
                    question,
                    "warns",
                    f"states {warns!r} but plain python shows {_show(shown)} when the code runs",
                )
        elif output.warnings and output.stderr.strip():
            # Only what reached the terminal: a snippet may capture stderr to inspect it. Not a
            # wrong key (the key is stdout), so a note, not a problem.
            name = output.warnings[0].partition(":")[0]
            self.notes.append(
                f"{self.path}: question {question.id!r}: plain python also shows "
                f"{_show(output.warnings[0])} on stderr; state it with `warns: {name}` if the "
                "question is about it"
            )

    def prose(self, question: QuestionModel, printed: str, code: str) -> None:
        for field_name, message in output_claims(_prose(question), printed):
            self.problem(question, field_name, message)
        # Hidden code only: a learner who reads the loop is told its count by the code itself
        # ("the rate after 3 epochs" of a loop that prints before stepping 4 times is right).
        if self.hidden(question):
            for message in step_count_claims(question.prompt, code):  # type: ignore[union-attr]
                self.problem(question, "prompt", message)

    @staticmethod
    def hidden(question: QuestionModel) -> bool:
        """Return True when the learner does not see the question's code."""
        return not isinstance(question, Predict) and not getattr(question, "show_code", False)

    def conceptual(self, question: SingleChoice | MultipleChoice | Numeric) -> None:
        """A key no code decides: accepted with a ``review:`` note, unless code could decide it."""
        options = [o.text for o in getattr(question, "options", [])]
        reason = decidable_reason(question.prompt, options)
        if reason:
            self.problem(
                question,
                "code",
                f"no code decides this key, but {reason}: add `code` that prints the right "
                "option's `value` (or the number), or rephrase the question",
            )
        elif question.review is None:
            self.problem(
                question,
                "review",
                "no code decides this key: add `code` that decides it, or a `review:` note "
                "saying why no code can (verify lists it for a person)",
            )
        else:
            self.account.conceptual.append((question.id, question.review))

    def predict(self, question: Predict) -> None:
        printed = self.run(question)
        if printed is not None:
            self.prose(question, printed, question.code)

    def numeric(self, question: Numeric) -> None:
        if question.code is None:
            assert question.answer is not None
            self.conceptual(question)
            self.tolerance(question, question.answer)
            return
        printed = self.run(question)
        if printed is None:
            return
        try:
            key = float(printed.strip())
        except ValueError:
            key = math.nan
        if not math.isfinite(key):
            self.problem(question, "code", f"must print one number, printed {_show(printed)}")
            return
        self.prose(question, printed, question.code)
        self.tolerance(question, key)
        if question.answer is not None and not within_tolerance(question, question.answer, key):
            self.problem(
                question, "answer", f"typed key {question.answer!r} but torch prints {key!r}"
            )

    def tolerance(self, question: Numeric, key: float) -> None:
        allowed = allowed_error(question, key)
        for message in tolerance_claims(key, allowed, question.tolerance.why):
            self.problem(question, "tolerance", message)

    def choice(self, question: SingleChoice | MultipleChoice) -> None:
        if question.code is None:
            self.conceptual(question)
            return
        printed = self.run(question)
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
        self.prose(question, printed, question.code)
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

    def audit(self, question: Code | FixLoop) -> None:
        """The reference must pass the grader's audit: a course answer never goes to review."""
        findings = audit_source(question.reference, getattr(question, "forbids", ()))
        if findings:
            self.problem(
                question,
                "reference",
                "the grader would send it to a person: " + "; ".join(map(str, findings)),
            )

    def code(self, question: Code) -> None:
        # As the grader runs a hand-in: in the sandbox, on settings and inputs drawn for the run.
        self.audit(question)
        for draw in range(DRAWS):
            rng = random.Random(f"{question.id}/{draw}")
            reference = check_code(question, question.reference, rng=rng)
            if reference.review:
                self.problem(question, "forbids", f"the reference {reference.review}")
            if not reference.correct:
                failed = "; ".join(line for line in reference.details if line.startswith("FAILED"))
                self.problem(
                    question,
                    "reference",
                    f"fails its checks in the sandbox on drawn settings: "
                    f"{failed or reference.feedback}",
                )
                break
        starter = check_code(question, question.starter, rng=random.Random(question.id))
        if starter.correct:
            self.problem(
                question, "checks", "the starter already passes every check: they test nothing"
            )

    def fix_loop(self, question: FixLoop) -> None:
        self.audit(question)
        problem, report = record_loop(question, question.reference, rng=random.Random(question.id))
        if report is None:
            self.problem(question, "reference", problem or "could not be run")
        elif not report.correct:
            found = ", ".join(report.bugs) or report.first_wrong_rate or "wrong rates"
            self.problem(question, "reference", f"the recorder finds {found}")
        problem, report = record_loop(question, question.starter, rng=random.Random(question.id))
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
        before, conceptual = len(self.problems), len(self.account.conceptual)
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
        if len(self.problems) > before:
            outcome = "problem"
        elif len(self.account.conceptual) > conceptual:
            outcome = "conceptual"
        elif question.type in ("explain", "flashcard"):
            outcome = "self-assessed"
        else:
            outcome = "torch"
        self.account.outcomes[outcome] += 1


def _check_bank(loaded: LoadedBank) -> _Checker:
    checker = _Checker(loaded)
    match = BANK_NAME.match(loaded.stem)
    if match and int(match["chapter"]) != loaded.bank.chapter:
        checker.problems.append(
            f"{loaded.path}: question (none): field 'chapter': is {loaded.bank.chapter} but the "
            f"file name says {int(match['chapter'])}"
        )
    for question in loaded.bank.questions:
        checker.question(question)
    return checker


def verify_bank(loaded: LoadedBank) -> list[str]:
    """Return one line per wrong key, failing snippet or reference solution in ``loaded``."""
    return _check_bank(loaded).problems


def verify_question(question: QuestionModel, where: str) -> list[str]:
    """Return one line per problem verify finds in one question (as ``where`` names it).

    The same checks as :func:`verify_banks` (a variant is verified exactly like its bank's
    question): snippet, claims, prose, tolerance, key.
    """
    from lrcourse.quiz.model import Bank

    loaded = LoadedBank(path=Path(where), bank=Bank(title="-", chapter=1, questions=[question]))
    checker = _Checker(loaded)
    checker.question(question)
    return checker.problems


def bank_files(paths: Iterable[str | Path]) -> list[Path]:
    """Return the bank files ``paths`` name, or raise :class:`VerifyUsageError` saying what is wrong."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(path.glob("*.yaml"))
            if not found:
                other = sorted(p.name for p in path.glob("*.yml"))
                also = f" (only {', '.join(other)}: rename to .yaml)" if other else ""
                raise VerifyUsageError([f"{path}: no quiz banks (*.yaml) in this folder{also}"])
            files += found
        elif not path.exists():
            raise VerifyUsageError([f"{path}: no such file or folder"])
        elif path.suffix == ".yml":
            raise VerifyUsageError(
                [f"{path}: banks are *.yaml files; rename it to {path.stem}.yaml"]
            )
        elif path.suffix != ".yaml":
            raise VerifyUsageError([f"{path}: not a quiz bank (banks are *.yaml files)"])
        else:
            files.append(path)
    if not files:
        raise VerifyUsageError(["no quiz banks given"])
    return files


def verify_banks(paths: Iterable[str | Path]) -> VerifyReport:
    """Verify every bank in ``paths`` (files or folders of ``*.yaml``); never raises for a bank.

    Raises :class:`VerifyUsageError` when ``paths`` hold no bank at all (see :func:`bank_files`).
    """
    report = VerifyReport()
    owners: dict[str, Path] = {}
    for path in bank_files(paths):
        try:
            loaded = load_bank(path)
        except QuizBankError as error:
            report.problems += error.problems
            report.accounts[path.stem] = BankAccount(Counter(skipped=_rough_count(path)))
            continue
        report.counts[loaded.stem] = Counter(q.type for q in loaded.bank.questions)
        for question in loaded.bank.questions:
            if question.id in owners:
                report.problems.append(
                    f"{path}: question {question.id!r}: field 'id': also used in "
                    f"{owners[question.id]}; ids must be unique across banks"
                )
            owners.setdefault(question.id, path)
        checker = _check_bank(loaded)
        report.problems += checker.problems
        report.notes += checker.notes
        report.accounts[loaded.stem] = checker.account
    return report


def _rough_count(path: Path) -> int:
    """Return how many questions a bank that did not load seems to hold (its ``- id:`` lines)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return 0
    return sum(1 for line in text.splitlines() if line.lstrip().startswith("- id:"))

"""Per-student variants of predict questions: parameters changed soundly, text kept true, torch-verified.

A variant is a pure function of ``(seed, student, question)``: ``assign`` writes it into the
student's release and ``grade`` recomputes it, so its key is whatever real torch prints for that
student's parameters.

What may vary is read from the snippet's syntax tree, not from its text: a ``step_size=``,
``gamma=`` or ``milestones=`` keyword whose value is a plain literal (``gamma=0.5``,
``milestones=[3, 6]``). ``gamma=10 ** 0.5`` is an expression, so it is left alone (a regex used to
read its ``10`` and turn a growing sweep into ``0.5 ** 0.5``, a decay). A ``gamma`` only takes
values on the same side of 1 as the original (a decay stays a decay).

What the learner reads while answering (the prompt and the hint) is rewritten with the code:
``gamma=0.5`` becomes the new text, and a bare ``0.5`` that can only be that parameter becomes the
new value. The worked solution is not rewritten (which printed number a sentence means cannot be
read from text): a variant's solution opens with a line naming its own parameters beside the
bank's and says that the steps below work the bank's version, which the bank's own ``verify``
keeps true; the feedback shows the variant's key (what torch prints for it) above it. The
common mistakes stay the bank's (they are never shown in a release or a feedback page).
:func:`variant_problems` runs the variant under torch with the same checks as
``lrcourse quiz verify`` and reports a variant whose code raises where the original does not (or
the reverse), prints a different count of numbers, or whose prompt or hint still shows a number
the original printed or a parameter value it replaced.
"""

from __future__ import annotations

import ast
import hashlib
import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeGuard

from lrcourse.errors import LRCourseError
from lrcourse.quiz.model import Predict, QuestionModel

#: Parameters a ``predict`` question's snippet may have varied per student, and their choices.
VARIANT_CHOICES: dict[str, tuple[str, ...]] = {
    "step_size": ("2", "3", "4", "5"),
    "gamma": ("0.1", "0.2", "0.5", "0.8"),
}
#: Prose fields rewritten with the code: what the learner reads while answering.
PROSE_FIELDS = ("prompt", "hint")
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w]|\.\d)")


class VariantError(LRCourseError, ValueError):
    """Per-student variants that cannot be released: one line per student, question and problem."""


@dataclass(frozen=True)
class Parameter:
    """A literal keyword argument of the snippet that a variant may change."""

    name: str
    start: int  # character offsets of the value in the code
    end: int
    text: str  # the value as written, e.g. ``0.5`` or ``[3, 6]``


def variant_rng(seed: int, student: str, question_id: str) -> random.Random:
    """Return the random generator of one student's copy of one question (stable across runs)."""
    digest = hashlib.sha256(f"{seed}\0{student}\0{question_id}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _offsets(code: str) -> list[int]:
    starts, total = [0], 0
    for line in code.splitlines(keepends=True):
        total += len(line)
        starts.append(total)
    return starts


def _char_offset(code: str, starts: list[int], line: int, byte_column: int) -> int:
    text = code[starts[line - 1] : starts[line] if line < len(starts) else len(code)]
    return starts[line - 1] + len(text.encode("utf-8")[:byte_column].decode("utf-8"))


def _is_number(node: ast.expr) -> TypeGuard[ast.Constant]:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


def variable_parameters(code: str) -> list[Parameter]:
    """Return the literal ``step_size=``/``gamma=``/``milestones=`` values in ``code``, in order.

    Only a plain number (or, for ``milestones``, a list of plain integers) counts: an expression
    such as ``gamma=10 ** 0.5`` or ``step_size=n`` is not a parameter a variant may change.
    """
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    starts = _offsets(code)
    found: list[Parameter] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.keyword) or node.arg is None:
            continue
        value = node.value
        plain = node.arg in VARIANT_CHOICES and _is_number(value)
        milestones = (
            node.arg == "milestones"
            and isinstance(value, ast.List)
            and bool(value.elts)
            and all(_is_number(e) and type(e.value) is int for e in value.elts)
        )
        if not (plain or milestones) or value.end_lineno is None or value.end_col_offset is None:
            continue
        start = _char_offset(code, starts, value.lineno, value.col_offset)
        end = _char_offset(code, starts, value.end_lineno, value.end_col_offset)
        found.append(Parameter(node.arg, start, end, code[start:end]))
    return sorted(found, key=lambda p: p.start)


def _choices(parameter: Parameter) -> tuple[str, ...]:
    """Return the values ``parameter`` may take without changing what the question is about."""
    if parameter.name == "gamma":
        original = float(parameter.text)
        if original >= 1:  # a growing sweep (or a constant): no decaying value keeps its meaning
            return ()
        return tuple(c for c in VARIANT_CHOICES["gamma"] if float(c) < 1)
    if parameter.name == "step_size":
        return VARIANT_CHOICES["step_size"] if int(float(parameter.text)) >= 1 else ()
    return ("milestones",)


def is_parameterised(question: QuestionModel) -> bool:
    """Return True when ``question`` is a predict question with parameters that can vary."""
    return isinstance(question, Predict) and any(
        _choices(p) for p in variable_parameters(question.code)
    )


def _draw(parameters: Sequence[Parameter], rng: random.Random) -> dict[int, str]:
    """Return the new text of each parameter by its start offset (same text, same new value)."""
    by_text: dict[tuple[str, str], str] = {}
    new: dict[int, str] = {}
    # Scalars first, then milestones, as the regex version drew them (so seeds keep their draws).
    ordered = [p for p in parameters if p.name != "milestones"] + [
        p for p in parameters if p.name == "milestones"
    ]
    for parameter in ordered:
        choices = _choices(parameter)
        if not choices:
            continue
        key = (parameter.name, parameter.text)
        if key not in by_text:
            if parameter.name == "milestones":
                values = [int(v) for v in parameter.text.strip("[]").split(",") if v.strip()]
                shift = rng.choice((0, 1, 2))
                moved = sorted(
                    {max(1, v + shift + i * rng.choice((0, 1))) for i, v in enumerate(values)}
                )
                by_text[key] = "[" + ", ".join(map(str, moved)) + "]"
            else:
                by_text[key] = rng.choice(choices)
        new[parameter.start] = by_text[key]
    return new


def _swap_code(code: str, parameters: Sequence[Parameter], new: dict[int, str]) -> str:
    pieces, last = [], 0
    for parameter in parameters:
        if parameter.start in new:
            pieces += [code[last : parameter.start], new[parameter.start]]
            last = parameter.end
    return "".join(pieces) + code[last:]


def _prose_swaps(parameters: Sequence[Parameter], new: dict[int, str]) -> list[tuple[str, str]]:
    """Return ``(pattern, replacement)`` pairs rewriting the parameters where prose names them.

    ``gamma=0.5`` and ``gamma = 0.5`` become the new keyword; ``gamma of 0.5`` keeps its words;
    a bare ``0.5`` is rewritten only when no other literal of the snippet is written the same.
    """
    swaps: list[tuple[str, str]] = []
    texts = [p.text for p in parameters]
    for parameter in parameters:
        if parameter.start not in new:
            continue
        value = new[parameter.start]
        written = re.escape(parameter.text).replace(r"\ ", r"\s*").replace(",", r",\s*")
        swaps.append((rf"\b{parameter.name}\s*=\s*{written}(?![\w.])", f"{parameter.name}={value}"))
        swaps.append(
            (rf"(\b{parameter.name}\s+(?:of\s+|is\s+)?){written}(?![\w.])", rf"\g<1>{value}")
        )
        if parameter.name != "milestones" and texts.count(parameter.text) == 1:
            swaps.append((rf"(?<![\w.]){re.escape(parameter.text)}(?![\w]|\.\d)", value))
    return swaps


def _rewrite(text: str, swaps: Sequence[tuple[str, str]]) -> str:
    """Apply ``swaps`` in order (most specific first), never rewriting what an earlier one wrote."""
    done: list[str] = []

    def hold(replacement: str) -> Callable[[re.Match[str]], str]:
        def placeholder(match: re.Match[str]) -> str:
            done.append(match.expand(replacement))
            return f"\x00{len(done) - 1}\x00"

        return placeholder

    for expression, replacement in swaps:
        text = re.sub(expression, hold(replacement), text)
    return re.sub("\x00(\\d+)\x00", lambda match: done[int(match[1])], text)


def _solution_note(parameters: Sequence[Parameter], new: dict[int, str]) -> str:
    """Return the line opening a variant's solution: its parameters beside the bank's."""
    pairs: dict[tuple[str, str], str] = {}
    for parameter in parameters:
        if parameter.start in new and new[parameter.start] != parameter.text:
            pairs[(parameter.name, parameter.text)] = new[parameter.start]
    yours = ", ".join(f"`{name}={value}`" for (name, _), value in pairs.items())
    bank = ", ".join(f"`{name}={text}`" for name, text in pairs)
    return (
        f"Your copy of this question uses {yours}; the bank's version uses {bank}, and the steps "
        "below work that version. The same reasoning with your values gives the correct answer "
        "above: what torch prints for your copy."
    )


def variant_question(question: QuestionModel, seed: int, student: str) -> QuestionModel:
    """Return ``student``'s copy of ``question``: predict snippets get their own parameters.

    Plain ``step_size``, ``gamma`` and ``milestones`` literals in the snippet are replaced by
    values drawn from ``variant_rng`` (a ``gamma`` stays on its side of 1), and the prompt and
    hint are rewritten with them; the solution gets a first line naming both sets of parameters
    (see the module docstring); the key stays "what torch prints", computed from the new snippet
    at grade time. Other questions, and a draw equal to the bank's, are returned unchanged.
    """
    if not is_parameterised(question):
        return question
    assert isinstance(question, Predict)
    parameters = variable_parameters(question.code)
    new = _draw(parameters, variant_rng(seed, student, question.id))
    code = _swap_code(question.code, parameters, new)
    if code == question.code:
        return question
    swaps = _prose_swaps(parameters, new)
    update: dict[str, object] = {
        name: _rewrite(getattr(question, name), swaps) for name in PROSE_FIELDS
    }
    update["code"] = code
    update["solution"] = [_solution_note(parameters, new), *question.solution]
    return question.model_copy(update=update)


def _printed(question: Predict) -> tuple[list[str], str | None]:
    from lrcourse.quiz.run import run_snippet

    output = run_snippet(question.code)
    return _NUMBER.findall(output.stdout), output.error_type


def _same_number(written: str, printed: str) -> bool:
    value, number = float(written), float(printed)
    if abs(value - number) <= 1e-6 * max(abs(value), abs(number)):
        return True
    decimals = len(written.split(".")[1]) if "." in written and "e" not in written.lower() else 0
    return decimals > 0 and abs(number - value) <= 0.5 * 10**-decimals


def variant_problems(question: QuestionModel, seed: int, student: str) -> list[str]:
    """Return one line per problem with ``student``'s variant of ``question`` (``[]`` when sound).

    The variant is verified by the same code as ``lrcourse quiz verify`` (it runs under torch,
    its prose claims hold), and it must keep the question's meaning: it raises exactly when the
    original does and prints as many numbers. Its prompt and hint may show no number the original
    printed and no parameter value it replaced, except numbers written in the variant's own code
    (the start rate, the loop count): which printed number a sentence means cannot be read, so a
    sentence the learner reads while answering that quotes the original's output cannot be kept
    true. (The solution works the bank's version and says so; the bank's verify checks it.)
    """
    from lrcourse.quiz.verify import verify_question

    variant = variant_question(question, seed, student)
    if variant is question:  # the bank's own question (or a draw equal to it)
        return []
    assert isinstance(question, Predict) and isinstance(variant, Predict)
    where = f"variant of {question.id!r} for student {student!r}"
    # The solution works the bank's version (verify checks it there); the rest is checked here.
    problems = verify_question(
        variant.model_copy(update={"solution": ["-"], "mistakes": ["-"]}), where
    )
    before, raised_before = _printed(question)
    after, raised_after = _printed(variant)
    if raised_before != raised_after:
        problems.append(
            f"{where}: raises {raised_after or 'nothing'} where the bank's question raises "
            f"{raised_before or 'nothing'}: the variant changes what the question is about"
        )
    elif len(before) != len(after):
        problems.append(
            f"{where}: prints {len(after)} number(s) where the bank's question prints "
            f"{len(before)}: the variant changes what the question is about"
        )
    parameters = ", ".join(f"{p.name}={p.text}" for p in variable_parameters(variant.code))
    written_in_code = _code_numbers(variant.code)
    replaced = {p.text for p in variable_parameters(question.code) if p.name != "milestones"}
    for name in PROSE_FIELDS:
        value = getattr(variant, name)
        for index, text in enumerate(value if isinstance(value, list) else [value]):
            label = f"{name}[{index}]" if isinstance(value, list) else name
            stale = [
                token
                for token in dict.fromkeys(_NUMBER.findall(text))
                if not any(_same_number(token, n) for n in written_in_code)
                and (token in replaced or any(_same_number(token, n) for n in before))
            ]
            if stale:
                problems.append(
                    f"{where}: field {label!r}: still shows {', '.join(stale)}, taken from the "
                    f"bank's question (its output or a value this variant replaced); with "
                    f"{parameters} it prints {' '.join(after) or 'nothing'}: state it in terms "
                    "of the parameters, or keep this question out of --variants"
                )
    return problems


def _code_numbers(code: str) -> list[str]:
    """Return the number literals written in ``code`` (facts every variant shares, like ``lr=0.1``)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    return [
        repr(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and type(node.value) in (int, float)
    ]


def verify_variants(
    questions: Iterable[QuestionModel], seed: int, students: Iterable[str]
) -> list[str]:
    """Return one line per problem with any student's variant of any question (``[]`` when all are sound)."""
    problems: list[str] = []
    questions = list(questions)
    for student in students:
        for question in questions:
            problems += variant_problems(question, seed, student)
    return problems


def check_variants(questions: Iterable[QuestionModel], seed: int, students: Iterable[str]) -> None:
    """Run every student's variant of every question under torch; raise :class:`VariantError` if any is unsound.

    ``assign --variants`` calls this before it writes anything, so no student receives a
    variant whose code fails, whose meaning changed or whose text contradicts its code.
    """
    problems = verify_variants(questions, seed, students)
    if problems:
        # One line per question (its first problem) and how many more: 25 students x a stale
        # solution is one fix, not 25.
        by_question: dict[str, list[str]] = {}
        for line in problems:
            by_question.setdefault(line.split("'")[1], []).append(line)
        shown = [
            lines[0] + (f" (and {len(lines) - 1} more for this question)" if len(lines) > 1 else "")
            for lines in by_question.values()
        ]
        raise VariantError(
            f"{len(problems)} problem(s) with per-student variants of {len(by_question)} "
            "question(s); nothing was written:\n" + "\n".join(shown)
        )

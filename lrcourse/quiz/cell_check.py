"""``check``: grade a code answer written in a real notebook cell, as otter's ``grader.check`` does.

A code or fix-the-loop question is answered in an ordinary code cell (highlighting, Tab, the
kernel's completion): the learner defines the question's ``entry`` there, runs the cell, then runs
``lrcourse.check("<question id>")`` in a cell of its own. The call finds the source of the latest
cell that defines ``entry`` in IPython's input history (``In``) and grades it exactly as the quiz
widget does (``check.check_answer``: the learner's code runs in the sandbox, torch decides), shows
the same result line and saves the attempt to the same progress file.

Outside IPython (a script, a test) pass the source text, or the class or function itself (its
``inspect.getsource``): ``check(question_id, WarmupCosine)``.
"""

from __future__ import annotations

import ast
import html
import inspect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from lrcourse.quiz.bank import find_question
from lrcourse.quiz.check import check_answer
from lrcourse.quiz.errors import QuizAnswerError
from lrcourse.quiz.html import result_html
from lrcourse.quiz.model import Code, FixLoop, QuestionModel
from lrcourse.quiz.progress import Progress
from lrcourse.quiz.result import Result


def _defines(source: str, entry: str) -> bool:
    """Return whether ``source`` defines ``entry`` at its top level (a class, def or assignment).

    A cell that does not parse but plainly starts a ``class entry``/``def entry`` counts: it is the
    learner's latest try, and the sandbox reports its syntax error (an older cell is not graded
    silently in its place).
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        started = rf"^\s*(?:async\s+)?(?:class|def)\s+{re.escape(entry)}\b"
        return re.search(started, source, re.M) is not None
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.name == entry:
                return True
        elif isinstance(node, ast.Assign):
            if any(isinstance(t, ast.Name) and t.id == entry for t in node.targets):
                return True
        elif (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == entry
        ):
            return True
    return False


def _calls_check(source: str) -> bool:
    """Return whether ``source`` runs a check at its top level (``lrcourse.check(...)``)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            func = node.value.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name == "check":
                return True
    return False


def _ipython_history() -> Sequence[str] | None:
    """Return IPython's ``In`` (cell sources in run order, this cell last), or None outside it."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - ipython is a dependency
        return None
    shell = get_ipython()
    if shell is None:
        return None
    history = shell.user_ns.get("In")
    return list(history) if isinstance(history, list) else None


@dataclass(frozen=True)
class FoundSource:
    """The learner's answer and where it came from (``In[n]``, a string, an object's source)."""

    source: str
    origin: str


def find_source(
    entry: str,
    answer: object = None,
    history: Sequence[str] | None = None,
    *,
    running_cell: bool = True,
) -> FoundSource:
    """Return the source to grade for a question whose answer defines ``entry``.

    ``answer`` a string: that text. A class or function: the history cell that defines it (with
    the cell's imports), else its ``inspect.getsource``. None: the latest cell in ``history``
    (default: IPython's ``In``) that defines ``entry``. With ``running_cell`` the history's last
    cell is the one running this check and is not the answer; a widget's button callback runs
    after its cell has finished, so it passes False.
    """
    if isinstance(answer, str):
        return FoundSource(answer, "the source you passed")
    if answer is not None:
        name = getattr(answer, "__name__", None)
        if name != entry:
            raise QuizAnswerError(
                f"this question asks for {entry}; you passed {name or type(answer).__name__}"
            )
    cells = list((_ipython_history() or []) if history is None else history)
    last = len(cells) - 1 if running_cell else len(cells)
    defining = [n for n in range(last) if cells[n] and _defines(cells[n], entry)]
    running_defines = running_cell and bool(cells) and _defines(cells[-1], entry)
    if running_defines or (defining and _calls_check(cells[defining[-1]])):
        # Graded, its check would run again inside the sandbox; and an older cell is no
        # stand-in for the one the learner just wrote.
        raise QuizAnswerError(
            f"define {entry} in one cell, run it, and run the check in a cell of its own "
            "(a cell that runs the check is not graded)"
        )
    if defining:
        number = defining[-1]
        return FoundSource(cells[number], f"In[{number}]")
    if answer is not None:
        try:
            return FoundSource(inspect.getsource(answer), f"the source of {entry}")  # type: ignore[arg-type]
        except (OSError, TypeError) as error:
            raise QuizAnswerError(f"the source of {entry} cannot be found: {error}") from None
    raise QuizAnswerError(
        f"no cell you ran defines {entry}: write it in a code cell, run that cell, then run the "
        "check again"
    )


@dataclass(frozen=True)
class CellCheck:
    """What ``check`` graded and its result; JupyterLab shows it as the widget's result line."""

    question_id: str
    origin: str
    source: str
    result: Result
    saved_to: str

    def _repr_html_(self) -> str:
        return (
            f"<div class='lrquiz-cell-check'><b>{html.escape(self.question_id)}</b> "
            f"(checked {html.escape(self.origin)})"
            f"{result_html(self.result)}<i>saved to <code>{html.escape(self.saved_to)}</code>"
            "</i></div>"
        )

    def __repr__(self) -> str:
        return f"{self.question_id} ({self.origin}): {self.result.text()}"


def _code_question(question_id: str) -> tuple[str, Code | FixLoop]:
    loaded, question = find_question(question_id)
    if not isinstance(question, (Code, FixLoop)):
        raise QuizAnswerError(
            f"{question_id} is a {question.type} question: answer it with "
            f'lrcourse.show_question("{question_id}")'
        )
    return loaded.stem, question


def grade_source(question: QuestionModel, bank_stem: str, found: FoundSource) -> CellCheck:
    """Grade ``found`` for ``question``, save the attempt to the bank's progress file; return it."""
    result = check_answer(question, found.source)
    progress = Progress.load(bank_stem)
    progress.record(question.id, found.source, result.score, result.correct, result.text())
    return CellCheck(question.id, found.origin, found.source, result, str(progress.path))


def check(question_id: str, answer: object = None) -> CellCheck:
    """Grade the code answer to ``question_id`` written in a notebook cell; show and save the result.

    Write the question's class or function in a code cell and run it; then run
    ``lrcourse.check("<question id>")`` in the next cell. The latest cell you ran that defines it
    is graded with the quiz's own grading (your code runs in the sandbox, torch decides), the
    result appears under the call and in the question's widget once the notebook is reopened, and
    the attempt is saved to your progress file. ``answer`` may instead be the source text or the
    class/function itself.
    """
    stem, question = _code_question(question_id)
    return grade_source(question, stem, find_source(question.entry, answer))

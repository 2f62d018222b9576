"""Load and validate quiz bank files; every problem becomes one line naming file, question, field.

A broken bank never produces a traceback: YAML syntax errors, duplicate keys, unknown types,
missing or mistyped fields and duplicate ids are all collected into a
:class:`~lrcourse.quiz.errors.QuizBankError` whose lines read::

    quizzes/01-learning-rate.yaml: question 'lr.too-big': field 'options[1].feedback': is required
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from lrcourse.quiz.errors import QuizBankError
from lrcourse.quiz.model import (
    QUESTION_CLASSES,
    QUESTION_TYPES,
    Bank,
    Question,
    QuestionModel,
)

#: Bank files are named ``NN-<slug>.yaml``: chapter number, then the chapter's slug.
BANK_NAME = re.compile(r"^(?P<chapter>\d\d)-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)$")
_QUESTION_ADAPTER: TypeAdapter[QuestionModel] = TypeAdapter(Question)
_BANK_FIELDS = ("title", "chapter", "questions")


@dataclass(frozen=True)
class LoadedBank:
    """A validated bank and where it came from."""

    path: Path
    bank: Bank

    @property
    def stem(self) -> str:
        """Return the file name without ``.yaml``, e.g. ``01-learning-rate``."""
        return self.path.stem

    @property
    def slug(self) -> str:
        """Return the chapter slug, e.g. ``learning-rate`` for ``01-learning-rate.yaml``."""
        match = BANK_NAME.match(self.stem)
        return match["slug"] if match else self.stem

    def question(self, question_id: str) -> QuestionModel:
        """Return the question called ``question_id`` or raise a KeyError naming the valid ids."""
        for question in self.bank.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a mapping with the same key twice (PyYAML keeps the last)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _value_node in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,  # type: ignore[arg-type]
)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _line(path: Path | str, question: str, field: str, message: str) -> str:
    return f"{path}: question {question}: field {field!r}: {_one_line(message)}"


def _question_before(text: str, line_index: int) -> str:
    """Return the id of the last question that starts before ``line_index`` (0-based), quoted."""
    found = None
    for line in text.splitlines()[: line_index + 1]:
        match = re.match(r"^\s*-?\s*id:\s*['\"]?([^'\"#\s]+)", line)
        if match:
            found = match[1]
    return repr(found) if found else "(none: before the first question)"


def _yaml_problem(path: Path, text: str, error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    if mark is None:
        return _line(path, "(unknown)", "(YAML syntax)", problem)
    where = f"line {mark.line + 1}, column {mark.column + 1}"
    field = "(YAML syntax)"
    key = re.match(r"duplicate key '?([^']*)'?", problem)
    if key:
        field = key[1]
        problem = f"appears twice in one mapping ({where}); keep one"
    else:
        problem = f"{problem} at {where}; check indentation and quote strings containing ': '"
    return _line(path, _question_before(text, mark.line), field, problem)


def _field_path(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "(question)"


def _explain(error: dict[str, Any], question_type: str | None) -> tuple[str, str]:
    """Return ``(field, message)`` for one pydantic error, in words a bank author can act on."""
    loc = tuple(error["loc"])
    kind = error["type"]
    # A discriminated union puts the chosen type first; a check list puts its kind first too.
    if loc and loc[0] in QUESTION_TYPES:
        loc = loc[1:]
    loc = tuple(
        part
        for index, part in enumerate(loc)
        if not (
            index > 0
            and isinstance(loc[index - 1], int)
            and isinstance(part, str)
            and part in ("trace", "state_dict", "resume", "no_warnings", "value")
        )
    )
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "union_tag_invalid" and not loc:
        return (
            "type",
            f"unknown type {error['input'].get('type')!r}; valid: {', '.join(QUESTION_TYPES)}",
        )
    if kind == "union_tag_invalid":
        valid = "trace, state_dict, resume, no_warnings, value"
        return _field_path((*loc, "kind")), f"unknown kind; valid: {valid}"
    if kind == "union_tag_not_found" and not loc:
        return "type", f"is required; valid: {', '.join(QUESTION_TYPES)}"
    if kind == "union_tag_not_found":
        return _field_path((*loc, "kind")), "is required"
    if kind == "missing":
        return _field_path(loc), "is required"
    if kind == "extra_forbidden" and loc == ("answer",) and question_type == "predict":
        return "answer", (
            "predict keys are never typed: verify executes `code` and the key is what torch "
            "prints; remove `answer`"
        )
    if kind == "extra_forbidden":
        cls = QUESTION_CLASSES.get(question_type or "")
        valid = ", ".join(cls.model_fields) if cls and len(loc) == 1 else "see quizzes/SCHEMA.md"
        return _field_path(loc), f"unknown field; valid fields: {valid}"
    if kind == "string_pattern_mismatch" and loc == ("id",):
        return "id", (
            "must be namespaced like 'chapter-topic.question-name' "
            "(lowercase words joined by '-', at least one '.')"
        )
    if kind == "string_pattern_mismatch" and loc in (("raises",), ("warns",)):
        example = "TypeError: not iterable" if loc == ("raises",) else "UserWarning: Detected call"
        return loc[0], (
            "must be a class name, optionally followed by ': ' and a fragment of the message "
            f"(e.g. {example!r})"
        )
    field_match = re.match(r"^`?([a-z_]+)`?: (.*)$", message)
    if not loc and field_match:
        return field_match[1], field_match[2]
    if not loc:
        for name in ("answers", "answer", "options", "code"):
            if message.startswith(name) or f"`{name}`" in message:
                return name, message
    return _field_path(loc), message


def _check_question(path: Path, index: int, raw: Any) -> tuple[QuestionModel | None, list[str]]:
    if not isinstance(raw, dict):
        return None, [
            _line(
                path,
                f"#{index + 1}",
                "(question)",
                f"must be a mapping of fields, not {type(raw).__name__}",
            )
        ]
    qid = raw.get("id")
    name = repr(qid) if isinstance(qid, str) and qid else f"#{index + 1} (no id)"
    qtype = raw.get("type") if isinstance(raw.get("type"), str) else None
    try:
        return _QUESTION_ADAPTER.validate_python(raw), []
    except ValidationError as error:
        problems = []
        for item in error.errors(include_url=False):
            field, message = _explain(dict(item), qtype)
            problems.append(_line(path, name, field, message))
        return None, problems


def parse_bank(path: Path, text: str) -> Bank:
    """Return the bank in ``text`` (read from ``path``), or raise :class:`QuizBankError`."""
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.YAMLError as error:
        raise QuizBankError([_yaml_problem(path, text, error)]) from None
    if not isinstance(data, dict):
        raise QuizBankError(
            [
                _line(
                    path,
                    "(none)",
                    "(file)",
                    "must be a mapping with keys title, chapter, questions",
                )
            ]
        )
    problems = [
        _line(path, "(none)", key, f"unknown top-level key; valid: {', '.join(_BANK_FIELDS)}")
        for key in data
        if key not in _BANK_FIELDS
    ]
    problems += [
        _line(path, "(none)", key, "is required") for key in _BANK_FIELDS if key not in data
    ]
    raw_questions = data.get("questions")
    if "questions" in data and (not isinstance(raw_questions, list) or not raw_questions):
        problems.append(_line(path, "(none)", "questions", "must be a non-empty list"))
        raw_questions = []
    questions: list[QuestionModel] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_questions or []):
        question, found = _check_question(path, index, raw)
        problems += found
        if question is None:
            continue
        if question.id in seen:
            problems.append(
                _line(
                    path,
                    repr(question.id),
                    "id",
                    f"duplicate id (question #{seen[question.id] + 1} has it too); ids must be unique",
                )
            )
        seen.setdefault(question.id, index)
        questions.append(question)
    if not problems:
        try:
            return Bank(title=data["title"], chapter=data["chapter"], questions=questions)
        except ValidationError as error:
            problems += [
                _line(path, "(none)", _field_path(tuple(e["loc"])), e["msg"])
                for e in error.errors(include_url=False)
            ]
    raise QuizBankError(problems)


def load_bank(path: str | os.PathLike[str]) -> LoadedBank:
    """Return the validated bank in ``path``, or raise :class:`QuizBankError` (one line per problem)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise QuizBankError([_line(path, "(none)", "(file)", f"cannot be read: {error}")]) from None
    return LoadedBank(path=path, bank=parse_bank(path, text))


#: Where an installed wheel keeps the banks: ``quizzes/`` is packaged as ``lrcourse/banks``.
PACKAGED_BANKS = Path(__file__).resolve().parents[1] / "banks"
#: Where a clone (and an editable install) keeps them: ``quizzes/`` at the top of the repository.
SOURCE_BANKS = Path(__file__).resolve().parents[2] / "quizzes"


def quiz_dir() -> Path:
    """Return the folder of bank files: ``$LRCOURSE_QUIZ_DIR``, the wheel's or the clone's banks.

    Raise :class:`QuizBankError` naming every place looked in when none of them exists: a course
    without its banks is a broken install, never an empty course.
    """
    override = os.environ.get("LRCOURSE_QUIZ_DIR")
    if override:
        return Path(override)
    for folder in (PACKAGED_BANKS, SOURCE_BANKS):
        if folder.is_dir():
            return folder
    raise QuizBankError(
        [
            f"the quiz banks are missing: neither {PACKAGED_BANKS} (an installed wheel) nor "
            f"{SOURCE_BANKS} (a clone) exists; reinstall lrcourse or set LRCOURSE_QUIZ_DIR"
        ]
    )


def bank_paths(folder: Path | None = None) -> list[Path]:
    """Return the chapter bank files ``NN-<slug>.yaml`` in ``folder``, in chapter order.

    Raise :class:`QuizBankError` when ``folder`` does not exist or holds no bank file: every
    caller (``quiz list``, the flashcard deck, ``assign``) would otherwise show an empty course.
    """
    folder = folder or quiz_dir()
    if not folder.is_dir():
        raise QuizBankError([f"{folder}: no such folder of quiz banks"])
    paths = sorted(p for p in folder.glob("*.yaml") if BANK_NAME.match(p.stem))
    if not paths:
        raise QuizBankError([f"{folder}: no quiz bank files (NN-<slug>.yaml) in this folder"])
    return paths


def find_bank(name: str, folder: Path | None = None) -> LoadedBank:
    """Return the bank called ``name``: a file stem (``01-learning-rate``) or a slug (``learning-rate``)."""
    paths = bank_paths(folder)
    for path in paths:
        match = BANK_NAME.match(path.stem)
        if name in (path.stem, match["slug"] if match else None):
            return load_bank(path)
    valid = ", ".join(p.stem for p in paths) or "(no banks found)"
    raise QuizBankError([f"no quiz bank called {name!r} in {folder or quiz_dir()}; valid: {valid}"])


def find_question(question_id: str, folder: Path | None = None) -> tuple[LoadedBank, QuestionModel]:
    """Return the bank holding ``question_id`` and the question, searching every chapter bank."""
    for path in bank_paths(folder):
        loaded = load_bank(path)
        for question in loaded.bank.questions:
            if question.id == question_id:
                return loaded, question
    raise QuizBankError(
        [
            f"no question with id {question_id!r} in {folder or quiz_dir()}; ids look like "
            "'chapter-topic.question-name' (see lrcourse quiz list)"
        ]
    )

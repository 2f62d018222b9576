"""Build an assignment's release notebooks: a pipeline of small ``(notebook) -> notebook`` steps.

Each step works on a copy and does one thing; :func:`release_notebook` runs them in order and
the steps assert the order where it matters (prompts are rendered from the public question
before it is stripped; checksums are taken last, after the cells are final). Releases are built
from :class:`~lrcourse.quiz.model.PublicQuestion` only, and :func:`check_no_secrets` refuses a
notebook holding any key or solution string. File names carry no timestamps; the same inputs
give byte-identical files.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import nbformat
from nbformat import NotebookNode

from lrcourse.grading.keycache import numeric_key, predict_key
from lrcourse.grading.manifest import (
    GRADABLE_TYPES,
    REVIEWED_TYPES,
    AssignmentError,
    LatePolicy,
    Manifest,
    RosterEntry,
    Slot,
    check_assignment_name,
    question_hash,
    source_checksum,
    variant_question,
    variant_rng,
)
from lrcourse.grading.variants import check_variants
from lrcourse.quiz.model import Numeric, Predict, PublicQuestion, QuestionModel

Step = Callable[[NotebookNode], NotebookNode]

#: What an answer cell holds when released, by question type (code types get their starter).
ANSWER_TEMPLATES: dict[str, str] = {
    "single": 'answer = ""  # the key of one option, e.g. "a"\n',
    "multiple": 'answer = []  # the keys of every right option, e.g. ["a", "c"]\n',
    "numeric": "answer = None  # a plain number such as 3 or 1.5e-3\n",
    "predict": '# Type exactly what the code prints, between the triple quotes.\nanswer = """\n"""\n',
    "explain": '# Explain in your own words, between the triple quotes.\nanswer = """\n"""\n',
}


def _cell_id(question_id: str, role: str) -> str:
    return f"{question_id.replace('.', '-')}-{role}"[:64]


def answer_template(question: PublicQuestion) -> str:
    """Return the source of the released answer cell of ``question``."""
    if question.type in ("code", "fix-loop"):
        return question.shown_code or ""
    return ANSWER_TEMPLATES[question.type]


def new_release(assignment: str, title: str, student: str | None) -> NotebookNode:
    """Return an empty release: a title cell and the assignment's name in the metadata."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["lrcourse"] = {"assignment": assignment}
    if student:
        notebook.metadata["lrcourse"]["student"] = student
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    intro = (
        f"# {title}\n\nAnswer in the cells marked *Your answer*. Only those cells are read when "
        "grading: do not delete them or copy them, and keep each `answer = ...` a plain value."
    )
    notebook.cells.append(nbformat.v4.new_markdown_cell(intro, id="title"))
    return notebook


def add_questions(questions: Sequence[PublicQuestion]) -> Step:
    """Return a step appending a prompt cell and an answer cell for each public question."""

    def step(notebook: NotebookNode) -> NotebookNode:
        # The questions the release asks, so `validate` counts a deleted answer cell as missing.
        notebook.metadata.setdefault("lrcourse", {})["questions"] = [q.id for q in questions]
        for question in questions:
            prompt = nbformat.v4.new_markdown_cell("", id=_cell_id(question.id, "prompt"))
            prompt.metadata["lrcourse"] = {
                "question": question.id,
                "role": "prompt",
                "public": question.model_dump(),
            }
            answer = nbformat.v4.new_code_cell(
                answer_template(question), id=_cell_id(question.id, "answer")
            )
            answer.metadata["lrcourse"] = {
                "question": question.id,
                "role": "answer",
                # Public facts `lrcourse validate` checks an answer's form against (no keys).
                "type": question.type,
            }
            if question.options:
                answer.metadata["lrcourse"]["options"] = sorted(o.key for o in question.options)
            notebook.cells += [prompt, answer]
        return notebook

    return step


def _prompt_cells(notebook: NotebookNode) -> Iterable[NotebookNode]:
    for cell in notebook.cells:
        if cell.metadata.get("lrcourse", {}).get("role") == "prompt":
            yield cell


def shuffle_options(rng_for: Callable[[str], random.Random]) -> Step:
    """Return a step shuffling each choice question's options with ``rng_for(question_id)``."""

    def step(notebook: NotebookNode) -> NotebookNode:
        for cell in _prompt_cells(notebook):
            public = cell.metadata["lrcourse"].get("public")
            assert public is not None, "shuffle_options must run before strip_public"
            if public.get("options"):
                rng_for(public["id"]).shuffle(public["options"])
        return notebook

    return step


def _prompt_markdown(number: int, public: dict[str, Any]) -> str:
    lines = [
        f"## Question {number} · `{public['id']}` ({public['difficulty']})",
        "",
        public["prompt"],
    ]
    if public.get("shown_code") and public["type"] not in ("code", "fix-loop"):
        lines += ["", "```python", public["shown_code"].rstrip("\n"), "```"]
    if public.get("options"):
        lines.append("")
        lines += [f"- `{option['key']}`: {option['text']}" for option in public["options"]]
    if public.get("entry"):
        lines += ["", f"Define `{public['entry']}` in the answer cell below."]
    if public.get("unit"):
        lines += ["", f"Answer in: {public['unit']}."]
    if public.get("hint"):
        lines += ["", f"*Hint:* {public['hint']}"]
    lines += ["", "*Your answer* is the next cell."]
    return "\n".join(lines)


def render_prompts() -> Step:
    """Return a step writing each prompt cell's Markdown from its public question."""

    def step(notebook: NotebookNode) -> NotebookNode:
        for number, cell in enumerate(_prompt_cells(notebook), start=1):
            public = cell.metadata["lrcourse"].get("public")
            assert public is not None, "render_prompts must run before strip_public"
            cell.source = _prompt_markdown(number, public)
        return notebook

    return step


def strip_public() -> Step:
    """Return a step dropping the public question data from the metadata once it is rendered."""

    def step(notebook: NotebookNode) -> NotebookNode:
        for cell in _prompt_cells(notebook):
            assert cell.source, "strip_public must run after render_prompts"
            cell.metadata["lrcourse"].pop("public", None)
        return notebook

    return step


def lock_cells() -> Step:
    """Return a step making prompt cells read-only and every marked cell undeletable."""

    def step(notebook: NotebookNode) -> NotebookNode:
        for cell in notebook.cells:
            role = cell.metadata.get("lrcourse", {}).get("role")
            if role == "prompt" or cell.id == "title":
                cell.metadata["editable"] = False
                cell.metadata["deletable"] = False
            elif role == "answer":
                cell.metadata["deletable"] = False
        return notebook

    return step


def add_checksums() -> Step:
    """Return a step recording each answer cell's checksum (nbgrader-style) in its metadata."""

    def step(notebook: NotebookNode) -> NotebookNode:
        for cell in notebook.cells:
            marker = cell.metadata.get("lrcourse", {})
            if marker.get("role") == "answer":
                marker["checksum"] = source_checksum(cell.source)
        return notebook

    return step


def notebook_text(notebook: object) -> str:
    """Return every string in the notebook (sources, metadata) joined, unescaped, for scanning.

    Any JSON-like value is walked the same way: a notebook, a list of its cells, or a question's
    ``model_dump()``.
    """
    parts: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                parts.append(str(key))
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(notebook)
    return "\n".join(parts)


#: Fields whose strings are the schema's vocabulary or torch's names, not what a question hides:
#: a check's ``kind`` (``value``, ``trace``), ``step_per`` (``epoch``), the loop bugs a fix-loop
#: starter holds, the scheduler class it names. Refusing these refused a release whose intro says
#: "a plain value", or a student id or title containing ``trace``.
VOCABULARY_FIELDS = frozenset({"kind", "step_per", "starter_bugs", "scheduler", "optimizer"})


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in VOCABULARY_FIELDS:
                yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def secrets_of(question: QuestionModel) -> list[str]:
    """Return the strings a release of ``question`` must not contain: keys and solutions.

    Every text of the full question that its public view does not show (solutions, mistakes,
    option feedback, reference code, check expressions) plus the keys torch computes, skipping
    the schema's vocabulary (:data:`VOCABULARY_FIELDS`), strings too short to mean anything
    (under 4 characters) and strings the public question shows anyway.
    """
    public_blob = json.dumps(question.public().model_dump())
    public_text = notebook_text(question.public().model_dump())
    candidates = list(_strings(question.model_dump(exclude={"id", "type", "difficulty", "topics"})))
    if isinstance(question, Predict):
        candidates.append(predict_key(question).strip())
    elif isinstance(question, Numeric):
        key = numeric_key(question)
        candidates += [repr(key), f"{key:.6g}"]
    found = []
    for text in candidates:
        text = text.strip()
        if len(text) >= 4 and text not in public_text and text not in public_blob:
            found.append(text)
    return sorted(set(found))


def _question_text(notebook: NotebookNode) -> str:
    """Return the text of the cells built from questions (not the title, not who it is for)."""
    cells = [c for c in notebook.cells if c.metadata.get("lrcourse", {}).get("question")]
    return notebook_text(cells)


def check_no_secrets(secrets: Mapping[str, str] | Sequence[str]) -> Step:
    """Return a step raising :class:`AssignmentError` if a question cell holds a secret string.

    ``secrets`` maps each string to the id of the question it belongs to (or is a plain list).
    Only cells built from questions are scanned: the title and the student's id are the
    instructor's words, and a title or an id that happens to contain a key is not a leak.
    """
    owners = dict(secrets) if isinstance(secrets, Mapping) else dict.fromkeys(secrets, "")

    def step(notebook: NotebookNode) -> NotebookNode:
        text = _question_text(notebook)
        leaked = [s for s in owners if s in text]
        if leaked:
            named = [f"{s!r} (of {owners[s]})" if owners[s] else repr(s) for s in leaked[:5]]
            raise AssignmentError(
                f"release would contain {len(leaked)} key/solution string(s): "
                f"{', '.join(named)}; remove the question or reword the text that shows it"
            )
        return notebook

    return step


def run_steps(notebook: NotebookNode, steps: Sequence[Step]) -> NotebookNode:
    """Apply ``steps`` in order, each to a fresh copy of the previous result."""
    for step in steps:
        notebook = step(copy.deepcopy(notebook))
    return notebook


@dataclass(frozen=True)
class AssignmentSpec:
    """What to release: banks' questions picked by id or by difficulty mix, and how."""

    assignment: str
    title: str
    question_ids: Sequence[str] = ()
    mix: dict[str, int] | None = None  # {"easy": 2, "medium": 2, "hard": 1}
    seed: int = 0
    students: Sequence[str] = ()
    release: Literal["shared", "per-student"] = "shared"
    variants: bool = False
    #: The class list with names and LMS ids (``roster.read_roster``); ``students`` when empty.
    roster: Sequence[RosterEntry] = ()
    late: LatePolicy | None = None
    #: Points per question id (1 when not given).
    points: dict[str, float] | None = None
    #: Replace an assignment already written in the output folder.
    force: bool = False

    def class_list(self) -> list[RosterEntry]:
        """Return the roster (entries made from ``students`` when no roster was given)."""
        return list(self.roster) or [RosterEntry(id=s) for s in self.students]


def choose_questions(spec: AssignmentSpec, pool: dict[str, QuestionModel]) -> list[QuestionModel]:
    """Return the assignment's questions: the ids given, or a seeded draw per difficulty."""
    if spec.question_ids:
        unknown = [q for q in spec.question_ids if q not in pool]
        if unknown:
            raise AssignmentError(f"no question {unknown[0]!r} in the banks")
        chosen = [pool[q] for q in spec.question_ids]
    else:
        mix = spec.mix or {"easy": 2, "medium": 2, "hard": 1}
        rng = random.Random(spec.seed)
        chosen = []
        for difficulty, count in mix.items():
            candidates = [
                q
                for q in pool.values()
                if q.difficulty == difficulty
                and q.type in GRADABLE_TYPES
                and q.type not in REVIEWED_TYPES  # a draw stays machine-graded; name explain ones
            ]
            if len(candidates) < count:
                raise AssignmentError(
                    f"--mix asks for {count} {difficulty} question(s); the banks have "
                    f"{len(candidates)} gradable ones"
                )
            chosen += rng.sample(candidates, count)
    wrong = [q.id for q in chosen if q.type not in GRADABLE_TYPES]
    if wrong:
        raise AssignmentError(
            f"question {wrong[0]!r} cannot be autograded; valid types: {', '.join(GRADABLE_TYPES)}"
        )
    return chosen


def release_notebook(
    spec: AssignmentSpec, questions: Sequence[QuestionModel], student: str | None
) -> NotebookNode:
    """Return the release notebook of one student (or the shared one when ``student`` is None)."""
    who = student or ""
    copies = [
        variant_question(q, spec.seed, who) if spec.variants and student else q for q in questions
    ]
    shown = "\n".join(notebook_text(q.public().model_dump()) for q in copies)
    # A string one question shows on purpose (its snippet) is not a leak by another question.
    secrets = {s: q.id for q in copies for s in secrets_of(q) if s not in shown}
    steps: list[Step] = [
        add_questions([q.public() for q in copies]),
        shuffle_options(lambda qid: variant_rng(spec.seed, who, qid + "#options")),
        render_prompts(),
        strip_public(),
        lock_cells(),
        add_checksums(),
        check_no_secrets(secrets),
    ]
    return run_steps(new_release(spec.assignment, spec.title, student), steps)


def write_assignment(spec: AssignmentSpec, pool: dict[str, QuestionModel], out: Path) -> Manifest:
    """Write ``out/<assignment>/release/*.ipynb`` and ``manifest.json``; return the manifest.

    An assignment already in ``out`` is refused unless ``spec.force``: its manifest holds the
    seed and the variants that grading needs, and a new one would silently change them.
    """
    check_assignment_name(spec.assignment)
    roster = spec.class_list()
    existing = out / spec.assignment / "manifest.json"
    if existing.exists() and not spec.force:
        raise AssignmentError(
            f"{existing} exists: {spec.assignment!r} was assigned already (students may hold its "
            "release); pass --force to replace it, or choose another name"
        )
    if spec.release == "per-student" and not roster:
        raise AssignmentError("--release per-student needs --students (a file or a list of ids)")
    if spec.variants and spec.release != "per-student":
        raise AssignmentError("--variants needs --release per-student")
    questions = choose_questions(spec, pool)
    if spec.variants:
        check_variants(questions, spec.seed, [entry.id for entry in roster])
    points = dict(spec.points or {})
    unknown = sorted(set(points) - {q.id for q in questions})
    if unknown:
        raise AssignmentError(f"--points names {unknown[0]!r}, not a question of this assignment")
    bad = [f"{qid}={value:g}" for qid, value in points.items() if not value > 0]
    if bad:
        raise AssignmentError(f"--points {bad[0]}: points must be more than 0")
    folder = out / spec.assignment
    release_dir = folder / "release"
    release_dir.mkdir(parents=True, exist_ok=True)
    if spec.force:
        for old in release_dir.glob("*.ipynb"):
            old.unlink()  # a student dropped from the class must not keep a stale release
    targets: list[str | None] = (
        [entry.id for entry in roster] if spec.release == "per-student" else [None]
    )
    checksums: dict[str, str] = {}
    for student in targets:
        notebook = release_notebook(spec, questions, student)
        for cell in notebook.cells:
            marker = cell.metadata.get("lrcourse", {})
            if marker.get("role") == "answer":
                checksums[marker["question"]] = marker["checksum"]
        name = f"{student}.ipynb" if student else f"{spec.assignment}.ipynb"
        nbformat.write(notebook, release_dir / name)
    manifest = Manifest(
        assignment=spec.assignment,
        seed=spec.seed,
        release=spec.release,
        variants=spec.variants,
        students=sorted(entry.id for entry in roster),
        slots=[
            Slot(
                question_id=q.id,
                type=q.type,
                points=points.get(q.id, 1.0),
                checksum=checksums[q.id],
            )
            for q in questions
        ],
        roster=sorted(roster, key=lambda entry: entry.id) if spec.roster else [],
        late=spec.late,
        question_hashes={q.id: question_hash(q) for q in questions},
    )
    manifest.save(folder / "manifest.json")
    return manifest

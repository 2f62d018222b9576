"""The quiz bank schema: one pydantic model per question type, and the key-free public view.

A bank file (``quizzes/NN-<slug>.yaml``) is a :class:`Bank`; ``quizzes/SCHEMA.md`` documents
every field. Keys a machine can compute are not typed: ``predict`` keys are what ``code`` prints
under real torch, ``numeric`` keys come from ``code`` when it is given, and a choice question
with ``code`` names its answer by the option whose ``value`` torch prints (``lrcourse quiz
verify`` checks the typed ``answer`` against it).

Keys out by type: :meth:`Question.public` returns a :class:`PublicQuestion`, a model with no field
for correctness, keys, checks or reference solutions. Renderers of graded work and releases accept
only public questions.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Difficulty = Literal["easy", "medium", "hard"]
QUESTION_TYPES: tuple[str, ...] = (
    "single",
    "multiple",
    "numeric",
    "predict",
    "code",
    "fix-loop",
    "explain",
    "flashcard",
)
#: ``chapter-topic.question-name``: lowercase words joined by ``-``, at least one ``.``.
ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)+$"
#: Option keys: short lowercase names such as ``a`` or ``steplr``.
OPTION_KEY_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
#: A ``section:``: the anchor of a heading on the chapter's page (``step-timing-under-accumulation``).
SECTION_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
StepPer = Literal["epoch", "batch"]
LoopBug = Literal[
    "scheduler-before-optimizer",
    "per-epoch-instead-of-per-batch",
    "per-batch-instead-of-per-epoch",
    "missing-scheduler-step",
    "doubled-scheduler-step",
    "no-optimizer-step",
]
#: The loop mistakes the recorder can name, in the order above (derived from ``LoopBug``).
LOOP_BUGS: tuple[str, ...] = get_args(LoopBug)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class Option(_Strict):
    """One choice of a ``single``/``multiple`` question and the feedback shown when it is picked."""

    key: Annotated[str, Field(pattern=OPTION_KEY_PATTERN)]
    text: Annotated[str, Field(min_length=1)]
    feedback: Annotated[str, Field(min_length=1)]
    #: What ``code`` would print if this option were right (only with a ``code`` question).
    value: str | None = None


class _Common(_Strict):
    id: Annotated[str, Field(pattern=ID_PATTERN)]
    difficulty: Difficulty
    topics: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
    prompt: Annotated[str, Field(min_length=1)]
    hint: Annotated[str, Field(min_length=1)]
    solution: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
    mistakes: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
    #: Optional: the chapter section to review after a wrong answer (the book's end-of-quiz summary
    #: links it); the anchor of its heading on the chapter's page.
    section: Annotated[str, Field(pattern=SECTION_PATTERN)] | None = None

    def public(self) -> PublicQuestion:
        """Return this question without keys, checks or solutions: what a learner may see."""
        data = self.model_dump()
        shown = {name: data[name] for name in PublicQuestion.model_fields if name in data}
        if "options" in data:
            shown["options"] = [
                PublicOption(key=o["key"], text=o["text"]) for o in data.get("options") or []
            ]
        # Every concrete question declares its own ``type`` literal; _Common has none to read.
        if data["type"] in ("code", "fix-loop"):
            shown["shown_code"] = data["starter"]
        elif data["type"] == "predict" or data.get("show_code"):
            shown["shown_code"] = data["code"]
        return PublicQuestion(**shown)


#: A ``raises:`` claim: an exception class name, optionally ``": "`` and a fragment of its message.
RAISES_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*(?::.*)?$"
#: A ``warns:`` claim: a warning category name, optionally ``": "`` and a fragment of its message.
WARNS_PATTERN = RAISES_PATTERN


class _Claims(_Strict):
    """What a snippet does besides printing, stated so verify can check it against torch."""

    #: The snippet ends by raising this error (``TypeError`` or ``"TypeError: fragment"``).
    raises: Annotated[str, Field(pattern=RAISES_PATTERN)] | None = None
    #: Plain ``python`` shows this warning when the snippet runs (``UserWarning: fragment``).
    warns: Annotated[str, Field(pattern=WARNS_PATTERN)] | None = None

    def _check_claims(self) -> None:
        if getattr(self, "code", None) is None and (self.raises or self.warns):
            raise ValueError("code: is required with `raises`/`warns` (they are claims about it)")


class _Reviewed(_Strict):
    #: Why no code can decide this key: a person reviews it (verify lists these questions).
    review: Annotated[str, Field(min_length=1)] | None = None


class _ChoiceBase(_Common, _Claims, _Reviewed):
    options: Annotated[list[Option], Field(min_length=2)]
    #: Optional snippet whose stdout is the ``value`` of the right option(s).
    code: str | None = None
    #: Show ``code`` to the learner (a "which does this print?" question).
    show_code: bool = True

    @field_validator("options")
    @classmethod
    def _unique_keys(cls, options: list[Option]) -> list[Option]:
        keys = [o.key for o in options]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise ValueError(f"option keys must be unique; repeated: {', '.join(duplicates)}")
        return options

    def _check_values(self) -> None:
        if self.code is not None and any(o.value is None for o in self.options):
            raise ValueError(
                "options: with `code`, every option needs a `value` (what code would print)"
            )
        if self.code is None and any(o.value is not None for o in self.options):
            raise ValueError("options: an option `value` needs `code` that prints the right one")
        self._check_claims()


class SingleChoice(_ChoiceBase):
    """Pick exactly one option; ``answer`` is the key of the right one."""

    type: Literal["single"]
    answer: str

    @model_validator(mode="after")
    def _answer_is_an_option(self) -> SingleChoice:
        keys = [o.key for o in self.options]
        if self.answer not in keys:
            raise ValueError(
                f"answer: {self.answer!r} is not an option key; valid: {', '.join(keys)}"
            )
        self._check_values()
        return self


class MultipleChoice(_ChoiceBase):
    """Select all that apply; ``answers`` are the right keys (see ``check.py`` for partial credit)."""

    type: Literal["multiple"]
    answers: Annotated[list[str], Field(min_length=1)]

    @model_validator(mode="after")
    def _answers_are_options(self) -> MultipleChoice:
        keys = [o.key for o in self.options]
        unknown = [a for a in self.answers if a not in keys]
        if unknown:
            raise ValueError(
                f"answers: {', '.join(map(repr, unknown))} not option keys; valid: {', '.join(keys)}"
            )
        if len(set(self.answers)) != len(self.answers):
            raise ValueError("answers: must not repeat a key")
        self._check_values()
        return self


class Tolerance(_Strict):
    """Accept ``x`` when ``|x - key| <= max(abs, rel * |key|)``."""

    abs: Annotated[float, Field(ge=0)] = 0.0
    rel: Annotated[float, Field(ge=0)] = 1e-6
    #: Why a tolerance wider than verify allows is right here (verify then accepts it).
    why: Annotated[str, Field(min_length=1)] | None = None


class Numeric(_Common, _Reviewed):
    """Type a number; the key is what ``code`` prints, or the typed ``answer`` when no code can decide."""

    type: Literal["numeric"]
    code: str | None = None
    answer: float | None = None
    tolerance: Tolerance = Tolerance()
    #: Show ``code`` to the learner (usually not: it computes the key).
    show_code: bool = False
    #: Shown next to the input box, e.g. ``"learning rate"`` or ``"epochs"``.
    unit: str | None = None
    #: Plain ``python`` shows this warning when ``code`` runs (see :class:`_Claims`).
    warns: Annotated[str, Field(pattern=WARNS_PATTERN)] | None = None

    @model_validator(mode="after")
    def _has_a_key(self) -> Numeric:
        if self.code is None and self.answer is None:
            raise ValueError(
                "code: is required (it prints the key), or a typed `answer` where no code can decide"
            )
        if self.code is None and self.warns:
            raise ValueError("code: is required with `warns` (it is a claim about the code)")
        return self


class Predict(_Common, _Claims):
    """Read ``code``; type what it prints. The key is its stdout under real torch, never typed.

    With ``raises``, the snippet ends in that error and the key is its stdout followed by a line
    with the error's class name (what the learner reads last in a traceback).
    """

    type: Literal["predict"]
    code: Annotated[str, Field(min_length=1)]


class TraceCheck(_Strict):
    """The learner's scheduler gives the same LRs (every group, every step) as a torch reference."""

    kind: Literal["trace"]
    #: Expression building the learner's scheduler from ``opt`` (the entry is in scope).
    build: str
    #: Expression building the reference from ``opt`` with torch classes only.
    reference: str
    epochs: Annotated[int, Field(ge=1, le=1000)]
    steps_per_epoch: Annotated[int, Field(ge=1, le=1000)] = 1
    step_per: StepPer = "epoch"
    lr: float = 0.1
    param_groups: list[dict[str, float]] | None = None
    optimizer: str = "SGD"


class StateDictCheck(_Strict):
    """``state_dict()`` -> fresh scheduler ``load_state_dict()`` gives the same state and ``get_last_lr()``."""

    kind: Literal["state_dict"]
    build: str
    steps: Annotated[int, Field(ge=0, le=1000)] = 3
    lr: float = 0.1
    param_groups: list[dict[str, float]] | None = None


class ResumeCheck(_Strict):
    """Stop after ``stop_after`` steps, save, rebuild, load, continue: same LRs as never stopping."""

    kind: Literal["resume"]
    build: str
    stop_after: Annotated[int, Field(ge=1, le=1000)]
    total: Annotated[int, Field(ge=2, le=1000)]
    lr: float = 0.1
    param_groups: list[dict[str, float]] | None = None


class NoWarningsCheck(_Strict):
    """Building and stepping the learner's scheduler ``epochs`` times emits no warning."""

    kind: Literal["no_warnings"]
    build: str
    epochs: Annotated[int, Field(ge=1, le=1000)] = 5


class ValueCheck(_Strict):
    """``expression`` (learner's entry in scope) equals ``expected`` (torch only) within ``rel``.

    ``inputs`` names the values both expressions use, each an expression of ``rng`` (a
    ``random.Random``) and the inputs before it, evaluated by the grader: every run gets inputs
    of its own, so a table of the bank's answers passes nothing. Without ``rng`` (a chapter
    widget) they are drawn from ``random.Random(0)``.
    """

    kind: Literal["value"]
    expression: str
    expected: str
    rel: Annotated[float, Field(ge=0)] = 1e-9
    inputs: dict[str, str] = {}

    @field_validator("inputs")
    @classmethod
    def _input_names(cls, inputs: dict[str, str]) -> dict[str, str]:
        bad = [name for name in inputs if not name.isidentifier() or name == "rng"]
        if bad:
            raise ValueError(f"inputs: {', '.join(map(repr, bad))} are not usable names")
        return inputs


class PropertiesCheck(_Strict):
    """The learner's scheduler has the properties ``lrcourse.check_scheduler`` checks.

    The run only records what the scheduler did (rates step by step, its closed form, a
    ``state_dict`` and checkpoint round trip, each group alone, torch's warnings); the grader
    decides each property from those records in its own process.
    """

    kind: Literal["properties"]
    build: str
    epochs: Annotated[int, Field(ge=2, le=1000)] = 20
    lr: float = 0.1
    param_groups: list[dict[str, float]] | None = None


CodeCheck = Annotated[
    TraceCheck | StateDictCheck | ResumeCheck | NoWarningsCheck | ValueCheck | PropertiesCheck,
    Field(discriminator="kind"),
]


class Code(_Common):
    """Write ``entry`` (a function or scheduler class); ``checks`` compare it with torch's behaviour."""

    type: Literal["code"]
    entry: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
    starter: Annotated[str, Field(min_length=1)]
    reference: Annotated[str, Field(min_length=1)]
    checks: Annotated[list[CodeCheck], Field(min_length=1)]
    timeout: Annotated[float, Field(gt=0, le=120)] = 30.0
    #: torch classes the answer must not use: the very scheduler it asks the learner to write.
    #: A run that builds one (its class or a base class), or source that names one, goes to a
    #: person (``needs-review``) instead of earning the credit.
    forbids: list[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]] = []


class FixLoop(_Common):
    """Fix a training loop ``entry``; a recording optimizer/scheduler reports how it stepped."""

    type: Literal["fix-loop"]
    entry: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
    scheduler: str
    scheduler_params: dict[str, Any] = {}
    step_per: StepPer
    epochs: Annotated[int, Field(ge=1, le=50)] = 3
    batches: Annotated[int, Field(ge=1, le=50)] = 4
    starter: Annotated[str, Field(min_length=1)]
    #: What the recorder must find in ``starter`` (verify checks it).
    starter_bugs: Annotated[list[LoopBug], Field(min_length=1)]
    reference: Annotated[str, Field(min_length=1)]
    timeout: Annotated[float, Field(gt=0, le=120)] = 30.0


class Explain(_Common):
    """Explain in your own words; self-assessed against ``checklist``."""

    type: Literal["explain"]
    checklist: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]


class Flashcard(_Strict):
    """A front/back card; the learner says whether they knew it."""

    id: Annotated[str, Field(pattern=ID_PATTERN)]
    type: Literal["flashcard"]
    difficulty: Difficulty
    topics: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
    front: Annotated[str, Field(min_length=1)]
    back: Annotated[str, Field(min_length=1)]

    def public(self) -> PublicQuestion:
        """Return the card's front only: what a learner sees before turning it."""
        return PublicQuestion(
            id=self.id,
            type=self.type,
            difficulty=self.difficulty,
            topics=list(self.topics),
            prompt=self.front,
        )


Question = Annotated[
    SingleChoice | MultipleChoice | Numeric | Predict | Code | FixLoop | Explain | Flashcard,
    Field(discriminator="type"),
]
QuestionModel = (
    SingleChoice | MultipleChoice | Numeric | Predict | Code | FixLoop | Explain | Flashcard
)
QUESTION_CLASSES: dict[str, type[BaseModel]] = {
    "single": SingleChoice,
    "multiple": MultipleChoice,
    "numeric": Numeric,
    "predict": Predict,
    "code": Code,
    "fix-loop": FixLoop,
    "explain": Explain,
    "flashcard": Flashcard,
}


class Bank(_Strict):
    """One chapter's question bank: ``quizzes/NN-<slug>.yaml``."""

    title: Annotated[str, Field(min_length=1)]
    chapter: Annotated[int, Field(ge=1, le=99)]
    questions: Annotated[list[Question], Field(min_length=1)]


class PublicOption(_Strict):
    """An option as a learner sees it: no correctness, no feedback."""

    key: str
    text: str


class PublicQuestion(_Strict):
    """A question with nothing that gives the answer away: no key, check or solution field."""

    id: str
    type: str
    difficulty: Difficulty
    topics: list[str]
    prompt: str
    hint: str | None = None
    options: list[PublicOption] | None = None
    #: The snippet a ``predict`` question shows, or the starter of ``code``/``fix-loop``.
    shown_code: str | None = None
    entry: str | None = None
    unit: str | None = None
    #: The concept list an ``explain`` answer is self-assessed against (not a key: a rubric).
    checklist: list[str] | None = None

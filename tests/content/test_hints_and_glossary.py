"""Issue 26, smaller items: a quiz hint points to the idea, never states the key; the glossary is
alphabetical, defines every term a chapter links, and what it says torch does, torch does."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
import torch
from torch.optim import lr_scheduler as lrs

from lrcourse.quiz.bank import bank_paths, load_bank
from lrcourse.quiz.model import QuestionModel
from lrcourse.quiz.run import snippet_stdout

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = [
    question
    for path in bank_paths()
    for question in load_bank(path).bank.questions
    if question.type in ("single", "numeric", "predict")
]


NUMBER = re.compile(r"(?<![\w.])\d+\.\d+(?:e[-+]?\d+)?(?![\w.])")


def _number(value: float) -> str:
    return f"{value:.6g}"


def _keys(question: QuestionModel) -> list[str]:
    """Return the texts that state this question's key, as code reads it."""
    if question.type == "single":
        right = next(option for option in question.options if option.key == question.answer)
        keys = [right.value] if right.value else []
        # An option that names one thing in code (`ReduceLROnPlateau`) is a key too.
        keys += re.findall(r"^`([^`]+)`$", right.text.strip())
        return keys
    if question.type == "numeric":
        if question.answer is not None:
            return [_number(question.answer)]
        return [_number(float(snippet_stdout(question.code, question.id).split()[-1]))]
    shown = " ".join(snippet_stdout(question.code, question.id, question.raises).split())
    # A number the output prints that neither the code nor the prompt writes is found by running
    # the code: a hint that names it gives that part of the key away (OneCycleLR's `0.95`).
    given = set(NUMBER.findall(question.code + " " + question.prompt))
    return [shown, *sorted(set(NUMBER.findall(shown)) - given)]


def _states(hint: str, key: str) -> bool:
    """Whether ``key`` stands in ``hint`` as a whole token (``0.1`` is not in ``0.15``)."""
    return re.search(rf"(?<![\w.]){re.escape(key)}(?![\w.])", " ".join(hint.split())) is not None


def test_the_key_finder_sees_a_stated_key():
    assert _states("The rate is 0.05 after it.", "0.05")
    assert not _states("The rate is 0.055 after it.", "0.05")
    assert _states("Use `ReduceLROnPlateau`.", "ReduceLROnPlateau")
    assert _number(0.00010000000000000003) == "0.0001"


@pytest.mark.parametrize("question", QUESTIONS, ids=[q.id for q in QUESTIONS])
def test_no_hint_states_its_questions_key(question):
    keys = _keys(question)
    if question.type != "single":
        assert keys and all(keys), question.id
    assert [key for key in keys if _states(question.hint, key)] == []


# -- The glossary ------------------------------------------------------------------------------

GLOSSARY = ROOT / "book" / "glossary.md"


def _entries() -> dict[str, str]:
    body = GLOSSARY.read_text(encoding="utf-8").split("```{glossary}\n", 1)[1].split("```", 1)[0]
    entries = {}
    for block in re.split(r"\n(?=\S)", body.strip("\n")):
        term, _, definition = block.partition("\n")
        entries[term] = " ".join(definition.split())
    return entries


def _sort_key(term: str) -> str:
    return term.lower().replace("_", " ")


def test_the_glossary_is_alphabetical():
    terms = list(_entries())
    assert terms == sorted(terms, key=_sort_key)


def test_no_glossary_entry_is_thin():
    thin = {term: len(text.split()) for term, text in _entries().items() if len(text.split()) < 20}
    assert thin == {}


def test_every_code_name_the_glossary_defines_is_written_in_a_chapter():
    """The chapters link their first `term`: an entry no chapter writes as code links nowhere."""
    chapters = " ".join(path.read_text(encoding="utf-8") for path in ROOT.glob("notebooks/*.ipynb"))
    code_terms = [term for term in _entries() if re.fullmatch(r"[A-Za-z_]+(\(\))?", term)]
    code_terms = [term for term in code_terms if "_" in term or term.endswith("()")]
    assert len(code_terms) >= 12
    assert [term for term in code_terms if f"`{term}`" not in chapters] == []


def _sgd(lr: float = 0.1, groups: int = 1) -> torch.optim.Optimizer:
    params = [{"params": [torch.nn.Parameter(torch.zeros(1))]} for _ in range(groups)]
    return torch.optim.SGD(params, lr=lr)


def _rates(scheduler: lrs.LRScheduler, steps: int) -> list[float]:
    optimizer = scheduler.optimizer
    out = []
    for _ in range(steps):
        out.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return out


def test_glossary_base_lrs_initial_lr_and_last_epoch_as_torch_keeps_them():
    entries = _entries()
    assert "(`-1` before construction finishes)" in entries["last_epoch"]
    optimizer = _sgd(0.1, groups=2)
    optimizer.param_groups[1]["lr"] = 0.02
    first = lrs.StepLR(optimizer, step_size=1, gamma=0.5)
    assert first.last_epoch == 0 and first.base_lrs == [0.1, 0.02]
    assert [g["initial_lr"] for g in optimizer.param_groups] == [0.1, 0.02]
    _rates(first, 3)
    assert first.last_epoch == 3
    # A later scheduler reads `initial_lr` as its base_lrs, not the current rate.
    second = lrs.ExponentialLR(optimizer, gamma=0.9)
    assert second.base_lrs == [0.1, 0.02] and optimizer.param_groups[0]["lr"] != 0.1
    # OneCycleLR writes its own initial_lr (max_lr / div_factor, div_factor 25) and starts there.
    one = lrs.OneCycleLR(optimizer, max_lr=1.0, total_steps=10)
    assert optimizer.param_groups[0]["initial_lr"] == pytest.approx(1.0 / 25)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(1.0 / 25)
    assert max(_rates(one, 10)) == pytest.approx(1.0)
    # ReduceLROnPlateau neither writes nor reads it.
    fresh = _sgd(0.3)
    lrs.ReduceLROnPlateau(fresh)
    assert "initial_lr" not in fresh.param_groups[0]


def test_glossary_gamma_step_size_and_milestones():
    assert "default `0.1` for the first two" in _entries()["gamma"]
    assert inspect.signature(lrs.StepLR).parameters["gamma"].default == 0.1
    assert inspect.signature(lrs.MultiStepLR).parameters["gamma"].default == 0.1
    assert (
        inspect.signature(lrs.ExponentialLR).parameters["gamma"].default is inspect.Parameter.empty
    )
    # step_size: a regular beat that goes on as long as the scheduler is stepped.
    rates = _rates(lrs.StepLR(_sgd(1.0), step_size=3, gamma=0.5), 12)
    assert rates == pytest.approx([1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125, 0.125])
    # A milestone m makes epoch m, counting from 0, the first at the lower rate.
    rates = _rates(lrs.MultiStepLR(_sgd(1.0), milestones=[2], gamma=0.1), 4)
    assert rates == pytest.approx([1, 1, 0.1, 0.1])
    # ExponentialLR with gamma above 1 grows the rate.
    assert _rates(lrs.ExponentialLR(_sgd(1.0), gamma=10.0), 3) == pytest.approx([1, 10, 100])


def test_glossary_t_max_and_eta_min():
    rates = _rates(lrs.CosineAnnealingLR(_sgd(1.0), T_max=4, eta_min=0.1), 8)
    assert rates[4] == pytest.approx(0.1) and min(rates) == pytest.approx(0.1)
    assert rates[5] > rates[4]  # past T_max the cosine climbs back
    assert inspect.signature(lrs.CosineAnnealingLR).parameters["eta_min"].default == 0.0
    restarts = _rates(lrs.CosineAnnealingWarmRestarts(_sgd(1.0), T_0=4, eta_min=0.1), 8)
    assert min(restarts) > 0.1 and restarts[4] == pytest.approx(1.0)


def test_glossary_get_last_lr_is_what_the_scheduler_last_wrote():
    optimizer = _sgd(1.0, groups=2)
    scheduler = lrs.StepLR(optimizer, step_size=1, gamma=0.5)
    optimizer.step()
    scheduler.step()
    assert scheduler.get_last_lr() == [g["lr"] for g in optimizer.param_groups] == [0.5, 0.5]
    optimizer.param_groups[0]["lr"] = 0.7  # a manual edit: get_last_lr() no longer tells
    assert scheduler.get_last_lr()[0] == 0.5


def test_glossary_param_groups_keep_their_ratio():
    optimizer = _sgd(1.0, groups=2)
    optimizer.param_groups[1]["lr"] = 0.1
    scheduler = lrs.CosineAnnealingLR(optimizer, T_max=10)
    for _ in range(3):
        optimizer.step()
        scheduler.step()
    first, second = (g["lr"] for g in optimizer.param_groups)
    assert second / first == pytest.approx(0.1)


def test_glossary_max_lr_patience_start_factor_total_steps_and_cyclic_base_lr():
    entries = _entries()
    assert "`div_factor=25`" in entries["max_lr"] and "(default `10`)" in entries["patience"]
    assert (
        "(default `1/3`)" in entries["start_factor"] and "(default `5`)" in entries["start_factor"]
    )
    assert inspect.signature(lrs.OneCycleLR).parameters["div_factor"].default == 25.0
    assert inspect.signature(lrs.ReduceLROnPlateau).parameters["patience"].default == 10
    linear = inspect.signature(lrs.LinearLR).parameters
    assert linear["start_factor"].default == pytest.approx(1 / 3)
    assert (linear["end_factor"].default, linear["total_iters"].default) == (1.0, 5)
    assert _rates(lrs.LinearLR(_sgd(1.0), start_factor=1.0, end_factor=0.0, total_iters=4), 6)[
        4:
    ] == [0.0, 0.0]
    # OneCycleLR anneals far below its start, and one step past total_steps raises.
    one = lrs.OneCycleLR(_sgd(), max_lr=1.0, epochs=2, steps_per_epoch=5)
    assert one.total_steps == 10
    rates = _rates(one, 10)
    assert rates[-1] < rates[0] / 100
    with pytest.raises(ValueError, match="Tried to step"):
        one.step()
    # ReduceLROnPlateau: patience epochs tolerated, the next one cuts the rate.
    optimizer = _sgd(1.0)
    plateau = lrs.ReduceLROnPlateau(optimizer, patience=2, factor=0.5)
    seen = []
    for _ in range(4):
        plateau.step(1.0)
        seen.append(optimizer.param_groups[0]["lr"])
    assert seen == [1.0, 1.0, 1.0, 0.5]
    # CyclicLR's base_lr is the lower bound of its cycle.
    cyclic = lrs.CyclicLR(_sgd(), base_lr=0.01, max_lr=0.1, step_size_up=2, cycle_momentum=False)
    assert min(_rates(cyclic, 8)) == pytest.approx(0.01)
    assert max(_rates(cyclic, 8)) == pytest.approx(0.1)


def test_glossary_lr_is_applied_by_the_step_and_unseen_by_the_gradient():
    weights = torch.nn.Parameter(torch.tensor([2.0]))
    optimizer = torch.optim.SGD([weights], lr=0.1)
    (weights**2).sum().backward()
    assert weights.grad.item() == 4.0  # the same gradient whatever the rate
    optimizer.step()
    assert weights.item() == pytest.approx(2.0 - 0.1 * 4.0)


# -- The optional `section:` of a question -----------------------------------------------------


def test_a_section_is_optional_and_drawn_as_data_for_the_end_of_quiz_summary():
    from lrcourse.quiz.bank import find_question
    from lrcourse.quiz.html import question_html

    _, named = find_question("step-timing.accumulation-steps")
    assert named.section == "gradient-accumulation-step-per-optimizer-step"
    assert 'data-section="gradient-accumulation-step-per-optimizer-step"' in question_html(named, 1)
    _, sectioned = find_question("lr-basics.one-sgd-step")
    plain = type(sectioned).model_validate({**sectioned.model_dump(), "section": None})
    assert plain.section is None and "data-section" not in question_html(plain, 1)
    with pytest.raises(ValueError, match="section"):
        type(plain).model_validate({**plain.model_dump(), "section": "Not An Anchor"})


def test_glossary_gradient_clipping_returns_the_norm_before_and_bounds_it():
    text = _entries()["gradient clipping"]
    assert "returns the norm *before* clipping" in text
    weight = torch.nn.Parameter(torch.zeros(2))
    weight.grad = torch.tensor([3.0, 4.0])  # norm 5
    returned = torch.nn.utils.clip_grad_norm_([weight], max_norm=1.0)
    assert returned.item() == pytest.approx(5.0)  # before clipping
    assert weight.grad.norm().item() == pytest.approx(1.0, rel=1e-5)  # at most max_norm after


def test_glossary_weight_averaging_is_torchs_ema_update():
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    text = _entries()["weight averaging (EMA)"]
    assert "average = decay · average + (1 − decay) · weights" in text
    model = torch.nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(1.0)
    average = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9))
    average.update_parameters(model)  # the first update copies the weights
    with torch.no_grad():
        model.weight.fill_(3.0)
    average.update_parameters(model)
    assert average.module.weight.item() == pytest.approx(0.9 * 1.0 + 0.1 * 3.0)

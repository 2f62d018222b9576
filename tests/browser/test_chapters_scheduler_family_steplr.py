"""Chapters 2 and 3 in the built book: their quizzes grade myths against torch, offline.

Expected answers are computed here from plain torch loops, so the static page is checked against
torch, not against the bank it was rendered from.
"""

from __future__ import annotations

import pytest
import torch


def _sgd() -> torch.optim.SGD:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)


def step_lr_printed(where: str) -> str:
    """Return what a 4-epoch StepLR(step_size=2, gamma=0.5) loop prints, printing at ``where``."""
    optimizer = _sgd()
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    shown = []
    for _ in range(4):
        if where == "start":
            shown.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
        if where == "end":
            shown.append(scheduler.get_last_lr()[0])
    return " ".join(str(rate) for rate in shown)


def cosine_after_six_steps() -> str:
    optimizer = _sgd()
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=4)
    for _ in range(6):
        optimizer.step()
        scheduler.step()
    return str(round(scheduler.get_last_lr()[0], 4))


def open_quiz(page, book_url, chapter: str, bank: str):
    tab, requests = page
    tab.goto(f"{book_url}/notebooks/{chapter}.html", wait_until="networkidle")
    root = tab.locator(f'div.lrquiz[data-bank="{bank}"]')
    assert root.count() == 1, f"{chapter} must show the quiz of bank {bank}"
    return tab, root, requests


def section(root, question_id: str):
    return root.locator(f'section.lrquiz-q[data-qid="{question_id}"]')


def test_steplr_myth_is_marked_wrong_and_torchs_print_right(page, book_url):
    _, root, requests = open_quiz(
        page, book_url, "03_steplr_vs_multisteplr", "03-steplr-vs-multisteplr"
    )
    question = section(root, "steplr.end-of-epoch-print")
    feedback = question.locator(".lrquiz-feedback")
    question.get_by_label("0.05 0.05 0.025 0.025", exact=True).check()
    question.get_by_role("button", name="Check").click()
    assert feedback.inner_text().startswith("Not quite.")
    question.get_by_label(step_lr_printed("end"), exact=True).check()
    question.get_by_role("button", name="Check").click()
    assert feedback.inner_text().startswith("Right")
    assert requests.external() == [], f"requests left 127.0.0.1: {requests.external()}"


def test_start_of_epoch_print_is_graded_against_torch(page, book_url):
    _, root, _ = open_quiz(page, book_url, "03_steplr_vs_multisteplr", "03-steplr-vs-multisteplr")
    question = section(root, "steplr.start-of-epoch-print")
    box = question.get_by_label("What does it print?")
    feedback = question.locator(".lrquiz-feedback")
    box.fill(step_lr_printed("end"))  # the end-of-epoch print is the classic wrong answer here
    question.get_by_role("button", name="Check").click()
    assert feedback.inner_text().startswith("Not quite")
    box.fill(step_lr_printed("start"))
    question.get_by_role("button", name="Check").click()
    assert feedback.inner_text() == "Right: that is exactly what torch prints."


@pytest.mark.parametrize(
    ("label", "right"),
    [
        ("restarted at T_max", False),
        ("past T_max the cosine continues", True),
    ],
)
def test_cosine_restart_myth_is_graded_against_torch(page, book_url, label, right):
    _, root, requests = open_quiz(page, book_url, "02_scheduler_family", "02-scheduler-family")
    question = section(root, "family.cosine-past-t-max")
    option = question.get_by_label(label)
    assert option.count() == 1
    assert (cosine_after_six_steps() in option.locator("xpath=..").inner_text()) is right
    option.check()
    question.get_by_role("button", name="Check").click()
    verdict = question.locator(".lrquiz-feedback").inner_text()
    assert verdict.startswith("Right") is right
    assert requests.external() == [], f"requests left 127.0.0.1: {requests.external()}"

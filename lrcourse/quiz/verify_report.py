"""The account verify gives of the banks: what it settled per question, and how it prints.

:func:`lrcourse.quiz.verify.verify_banks` returns a :class:`VerifyReport`: one line per problem,
the question types per bank, and per bank a :class:`BankAccount` of how each question's key was
settled (decided by running torch, a conceptual key for a person to review, a self-assessed
question without a key, a problem, or skipped when its bank did not load), with the tables and
the summary line ``lrcourse quiz verify`` prints.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from lrcourse.quiz.model import QUESTION_TYPES

#: How each question's key was settled, in the order the account prints them.
OUTCOMES = ("torch", "conceptual", "self-assessed", "problem", "skipped")


@dataclass
class BankAccount:
    """What verify settled for one bank: an outcome per question, and the conceptual keys' notes."""

    outcomes: Counter[str] = field(default_factory=Counter)
    conceptual: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class VerifyReport:
    """What verification found: one line per problem, question types and an account per bank."""

    problems: list[str] = field(default_factory=list)
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    accounts: dict[str, BankAccount] = field(default_factory=dict)
    #: What a learner sees that no claim states (a warning on stderr): worth a look, not an error.
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Return True when no problem was found."""
        return not self.problems

    def total(self) -> Counter[str]:
        """Return the outcomes of every bank added together."""
        total: Counter[str] = Counter()
        for account in self.accounts.values():
            total.update(account.outcomes)
        return total

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

    def account_table(self) -> str:
        """Return how each bank's keys were settled: by torch, conceptual, self-assessed, ..."""
        width = max([len(name) for name in self.accounts] + [5])
        rows = [f"{'bank':<{width}} " + " ".join(f"{o:>13}" for o in OUTCOMES)]
        for name, account in [*self.accounts.items(), ("total", BankAccount(self.total()))]:
            cells = " ".join(f"{account.outcomes.get(o, 0):>13}" for o in OUTCOMES)
            rows.append(f"{name:<{width}} {cells}")
        return "\n".join(rows)

    def conceptual_lines(self) -> list[str]:
        """Return one line per conceptual key: bank, question id and why no code can decide it."""
        return [
            f"{bank}: {question_id}: {' '.join(note.split())}"
            for bank, account in self.accounts.items()
            for question_id, note in account.conceptual
        ]

    def summary(self) -> str:
        """Return the last line: what ran and held, and nothing more."""
        total = self.total()
        parts = [f"{len(self.accounts)} bank(s) checked"]
        parts.append(f"{total['torch']} key(s) decided by running torch")
        parts.append(f"{total['conceptual']} conceptual key(s) listed for a person to review")
        parts.append(f"{total['self-assessed']} self-assessed question(s) without a key")
        if total["problem"]:
            parts.append(f"{total['problem']} question(s) with a problem")
        if total["skipped"]:
            parts.append(f"{total['skipped']} question(s) skipped (their bank did not load)")
        tail = "every key decided by torch holds" if not self.problems else "see the problems"
        return ", ".join(parts) + f": {tail}"

"""Carrying progress between the book and JupyterLab: the portable file, its merge, the Lab side."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest

import lrcourse
from lrcourse.quiz import transfer
from lrcourse.quiz.errors import ProgressFileError
from lrcourse.quiz.progress import Progress
from lrcourse.quiz.transfer import Answer, Explanation, Flashcard, merge

BANK = "01-learning-rate"
SINGLE = "lr-basics.where-lr-is-applied"  # its key is "step"
NUMERIC = "lr-basics.one-sgd-step"
EXPLAIN = "lr-basics.why-schedule"
CARD = "lr-basics.card-where-rate-lives"


@pytest.fixture
def folder(tmp_path, monkeypatch):
    path = tmp_path / "progress"
    monkeypatch.setenv("LRCOURSE_PROGRESS_FILE_DIR", str(path))
    return path


def _lab(folder):
    progress = Progress.load(BANK, folder)
    progress.record(SINGLE, "step", 1.0, True, "Right: step() applies it.")
    progress.record(NUMERIC, "0.4", 0.0, False, "Not quite: 0.4 is too low.")
    progress.record(NUMERIC, "0.5", 0.0, False, "Not quite: 0.5 is too low.")
    progress.record(CARD, True, 1.0, True, "the back")
    progress.record_explanation(EXPLAIN, "The loss surface changes as training goes on.")
    return progress


def test_lab_export_is_the_portable_format_without_feedback_or_keys(folder, tmp_path):
    _lab(folder)
    out = lrcourse.export_progress(tmp_path / "out.json")
    data = json.loads(out.read_text())
    assert (data["format"], data["version"], data["exported_from"]) == (
        "lrcourse-progress",
        1,
        "jupyterlab",
    )
    rows = data["banks"][BANK]
    assert rows[SINGLE]["answer"]["answer"] == ["step"]  # the book's shape for a single choice
    assert rows[NUMERIC]["answer"] == {
        "answer": "0.5",
        "score": 0.0,
        "correct": False,
        "attempts": 2,
        "updated": rows[NUMERIC]["answer"]["updated"],
    }
    assert rows[NUMERIC]["answer"]["updated"].endswith("Z")
    assert rows[CARD] == {
        "flashcard": {"known": True, "updated": rows[CARD]["flashcard"]["updated"]}
    }
    assert rows[EXPLAIN]["explanation"]["text"].startswith("The loss surface")
    text = out.read_text()
    assert "too low" not in text and "Right" not in text and "the back" not in text


def test_round_trip_into_an_empty_lab_restores_every_record(folder, tmp_path):
    _lab(folder)
    before = Progress.load(BANK, folder)
    out = lrcourse.export_progress(tmp_path / "out.json")
    other = tmp_path / "other"
    report = lrcourse.import_progress(out, other)
    assert report.result.count("added") == 4 and report.result.count("replaced") == 0
    after = Progress.load(BANK, other)
    for qid, saved in before.answers.items():
        got = after.answers[qid]
        assert (got.answer, got.score, got.correct, got.attempts, got.updated) == (
            saved.answer,
            saved.score,
            saved.correct,
            saved.attempts,
            saved.updated,
        )
    assert after.explanations == before.explanations
    # and back again: nothing changes
    again = lrcourse.import_progress(
        lrcourse.export_progress(tmp_path / "back.json", other), folder
    )
    assert {c.action for c in again.result.changes} == {"same"} and again.written == []


def test_import_keeps_the_better_answer_reports_it_and_backs_up_the_file(folder, tmp_path):
    _lab(folder)
    book = {
        "format": "lrcourse-progress",
        "version": 1,
        "exported_at": "2030-01-01T00:00:00.000Z",
        "exported_from": "book",
        "banks": {
            BANK: {
                # right in the book: replaces the Lab's wrong answer
                NUMERIC: {
                    "answer": {
                        "answer": "0.9",
                        "score": 1,
                        "correct": True,
                        "attempts": 1,
                        "updated": "2020-01-01T00:00:00.000Z",
                    }
                },
                # wrong in the book, newer: the Lab's right answer is kept
                SINGLE: {
                    "answer": {
                        "answer": ["zero_grad"],
                        "score": 0,
                        "correct": False,
                        "attempts": 3,
                        "updated": "2030-01-01T00:00:00.000Z",
                    }
                },
                # a flashcard mark on an explain question: the Lab has no place for it
                EXPLAIN: {"flashcard": {"known": True, "updated": None}},
            }
        },
    }
    path = tmp_path / "book.json"
    path.write_text(json.dumps(book))
    report = lrcourse.import_progress(path)
    actions = {(c.question, c.part): c.action for c in report.result.changes}
    assert actions == {
        (NUMERIC, "answer"): "replaced",
        (SINGLE, "answer"): "kept",
        (EXPLAIN, "flashcard"): "added",
    }
    assert any("not kept in JupyterLab" in line for line in report.not_kept)
    saved = Progress.load(BANK, folder).answers
    assert (saved[NUMERIC].answer, saved[NUMERIC].score) == ("0.9", 1.0)
    assert (saved[SINGLE].answer, saved[SINGLE].attempts) == ("step", 3)
    assert [p.name for p in report.backups] == [f"{BANK}.before-import-1.json"]
    backup = json.loads(report.backups[0].read_text())
    assert backup["answers"][NUMERIC]["answer"] == "0.5"  # the undo holds the old file
    assert "replaced" in str(report) and NUMERIC in str(report)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{not json", "not JSON (line 1"),
        ('{"something": "else"}', "not an lrcourse progress file"),
        ('{"format": "lrcourse-progress", "version": 7, "banks": {}}', "version 7"),
        ('{"format": "lrcourse-progress", "version": 1, "banks": []}', '"banks" is not an object'),
        (
            '{"format": "lrcourse-progress", "version": 1, "banks": {"b": {"q": '
            '{"answer": {"answer": "1", "score": "high", "correct": true}}}}}',
            "banks.b.q.answer.score is",
        ),
        (
            '{"format": "lrcourse-progress", "version": 1, "banks": {"b": {"q": '
            '{"answer": {"answer": "1", "score": 3, "correct": true}}}}}',
            "not between 0 and 1",
        ),
        (
            '{"format": "lrcourse-progress", "version": 1, "banks": {"b": {"q": {"key": 1}}}}',
            "unknown part 'key'",
        ),
    ],
)
def test_a_bad_file_is_one_message_naming_it_and_nothing_changes(folder, tmp_path, text, says):
    _lab(folder)
    before = (folder / f"{BANK}.json").read_bytes()
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    with pytest.raises(ProgressFileError) as error:
        lrcourse.import_progress(bad)
    assert str(error.value).startswith(f"{bad}: ") and says in str(error.value)
    assert "\n" not in str(error.value)
    assert (folder / f"{BANK}.json").read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == [f"{BANK}.json"]


def test_the_cli_exports_refuses_to_replace_without_yes_and_names_a_bad_file(folder, tmp_path):
    _lab(folder)
    out = tmp_path / "cli.json"
    env_run = [sys.executable, "-m", "lrcourse.cli", "progress"]
    done = subprocess.run([*env_run, "export", str(out)], capture_output=True, text=True)
    assert done.returncode == 0 and out.exists(), done.stderr
    data = json.loads(out.read_text())
    data["banks"][BANK][NUMERIC]["answer"].update(answer="0.9", score=1, correct=True)
    out.write_text(json.dumps(data))
    done = subprocess.run([*env_run, "import", str(out)], capture_output=True, text=True)
    assert done.returncode == 1 and "--yes" in done.stdout and "replaced" in done.stdout
    assert Progress.load(BANK, folder).answers[NUMERIC].answer == "0.5"
    done = subprocess.run([*env_run, "import", "--yes", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert Progress.load(BANK, folder).answers[NUMERIC].answer == "0.9"
    bad = tmp_path / "notes.json"
    bad.write_text("[1, 2]")
    done = subprocess.run([*env_run, "import", str(bad)], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip() == f"lrcourse: {bad}: not an lrcourse progress file " + (
        '(no "format": "lrcourse-progress")'
    )


def _random_part(rng: random.Random, name: str):
    when = rng.choice([None, "2026-01-01T00:00:00.000Z", "2026-06-01T00:00:00.000Z"])
    if name == "answer":
        score = rng.choice([0.0, 0.5, 1.0])
        return Answer(rng.choice(["a", "b", "c"]), score, score == 1.0, rng.randint(1, 4), when)
    if name == "explanation":
        return Explanation(rng.choice(["x", "y"]), rng.random() < 0.5, when)
    return Flashcard(rng.random() < 0.5, when)


def _random_records(rng: random.Random):
    records: dict = {}
    for bank in ("b1", "b2"):
        for qid in ("q1", "q2", "q3"):
            for name in transfer.PARTS:
                if rng.random() < 0.5:
                    records.setdefault(bank, {}).setdefault(qid, {})[name] = _random_part(rng, name)
    return records


@pytest.mark.parametrize("seed", range(300))
def test_merge_never_drops_never_lowers_a_score_and_round_trips(seed):
    rng = random.Random(seed)
    mine, theirs = _random_records(rng), _random_records(rng)
    result = merge(mine, theirs)
    reported = {(c.bank, c.question, c.part) for c in result.changes}
    for source in (mine, theirs):
        for bank, questions in source.items():
            for qid, parts in questions.items():
                for name, part in parts.items():
                    kept = result.records[bank][qid][name]  # never dropped
                    if name == "answer":
                        assert kept.score >= part.score
                        assert kept.attempts >= part.attempts
                    if source is theirs:
                        assert (bank, qid, name) in reported  # every imported part is accounted
    # merging the result again changes nothing; the file format carries it exactly
    again = merge(result.records, result.records)
    assert {c.action for c in again.changes} <= {"same"}
    text = json.dumps(transfer.dump(result.records, "book", "2026-01-01T00:00:00.000Z"))
    assert transfer.parse(text) == {
        b: {q: p for q, p in qs.items() if p} for b, qs in result.records.items()
    }


def test_a_lab_file_from_before_times_and_explanations_exports_and_merges(folder, tmp_path):
    folder.mkdir(parents=True)
    old = {
        "version": 1,
        "answers": {
            SINGLE: {"answer": "backward", "score": 0.0, "correct": False, "feedback": "No.",
                     "attempts": 2},
        },
    }  # fmt: skip
    (folder / f"{BANK}.json").write_text(json.dumps(old))
    data = json.loads(lrcourse.export_progress(tmp_path / "old.json").read_text())
    assert data["banks"][BANK][SINGLE]["answer"]["updated"] is None
    # a right answer from the book wins over the old wrong one, whatever the times say
    data["banks"][BANK][SINGLE]["answer"].update(answer=["step"], score=1, correct=True)
    (tmp_path / "book.json").write_text(json.dumps(data))
    report = lrcourse.import_progress(tmp_path / "book.json")
    assert [c.action for c in report.result.changes] == ["replaced"]
    saved = Progress.load(BANK, folder).answers[SINGLE]
    assert (saved.answer, saved.score, saved.attempts) == ("step", 1.0, 2)


def test_a_dry_run_reports_and_writes_nothing(folder, tmp_path):
    _lab(folder)
    before = (folder / f"{BANK}.json").read_bytes()
    data = json.loads(lrcourse.export_progress(tmp_path / "out.json").read_text())
    data["banks"][BANK][NUMERIC]["answer"].update(answer="0.9", score=1, correct=True)
    (tmp_path / "in.json").write_text(json.dumps(data))
    plan = lrcourse.import_progress(tmp_path / "in.json", dry_run=True)
    assert plan.result.count("replaced") == 1 and str(plan).startswith("Would import")
    assert (folder / f"{BANK}.json").read_bytes() == before and plan.backups == []


def test_the_lab_dashboard_names_the_two_calls(folder):
    from lrcourse.quiz.show import _lab_table

    text = _lab_table([])
    assert 'lrcourse.export_progress("lrcourse-progress.json")' in text
    assert 'lrcourse.import_progress("lrcourse-progress.json")' in text

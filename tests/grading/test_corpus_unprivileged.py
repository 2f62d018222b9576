"""The hostile corpus graded by an ordinary user: the same scores, reasons and walls as root.

Instructors usually grade as themselves. ``unprivileged_corpus.py`` grades a copy of the
corpus as ``nobody`` (the test must be root to switch users, as CI is), in a work folder with
the instructor's marked files, and prints every stored row; each must be what the root run
gives (``test_corpus.py``), no marker may leak, and nothing may be left behind.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from lrcourse.grading.gradebook import GradeRow
from tests.grading.test_corpus import (
    FULL,
    REASONS,
    check_attack,
    check_no_marker,
    copy_corpus,
    fill_work_folder,
    leftovers,
    print_table,
)
from tests.sandbox.helpers import sandbox_processes
from tests.sandbox.test_sandbox_unprivileged import NOBODY, _as_nobody_script

SCRIPT = Path(__file__).with_name("unprivileged_corpus.py")

pytestmark = [
    pytest.mark.slow,  # the corpus again, as an ordinary user (the root run is in make test)
    pytest.mark.skipif(
        os.geteuid() != 0 or shutil.which("setpriv") is None or shutil.which("unshare") is None,
        reason="switching to an ordinary user needs root and util-linux (setpriv, unshare), as in CI",
    ),
]


@pytest.fixture(scope="module")
def graded() -> tuple[dict, dict[str, dict[str, GradeRow]], set[Path]]:
    top = Path(tempfile.mkdtemp(prefix="lrcourse-corpus-", dir="/tmp"))
    try:
        top.chmod(0o755)
        folder, work, home = top / "submissions", top / "work", top / "home"
        for path in (folder, work, home):
            path.mkdir()
        copy_corpus(folder)
        fill_work_folder(work)
        for path in [work, home, *work.rglob("*")]:
            os.chown(path, NOBODY, NOBODY)
        for path in folder.iterdir():
            path.chmod(0o644)
        before = leftovers()
        script = _as_nobody_script([sys.executable, str(SCRIPT), str(folder), str(work)], home)
        done = subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
            capture_output=True,
            text=True,
            timeout=600,
        )
        left = leftovers() - before
    finally:
        shutil.rmtree(top)
    assert done.returncode == 0, (
        f"the grader failed (exit {done.returncode}): {done.stderr[-2000:]}"
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    by_student: dict[str, dict[str, GradeRow]] = {}
    for row in report["rows"]:
        by_student.setdefault(row[0], {})[row[1]] = GradeRow(*row)
    return report, by_student, left


def test_it_graded_as_an_ordinary_user_behind_the_same_walls(graded) -> None:
    report, by_student, _ = graded
    assert report["uid"] == NOBODY
    assert report["isolation"] == "namespace"
    assert len(by_student) >= 100


def test_every_item_gets_what_its_name_expects_in_one_table_as_an_ordinary_user(graded) -> None:
    assert print_table(graded[1]) == []


@pytest.mark.parametrize("attack", sorted(REASONS))
def test_each_attack_gets_its_score_and_reason_as_an_ordinary_user(graded, attack: str) -> None:
    check_attack(attack, graded[1])


@pytest.mark.parametrize("honest", FULL)
def test_right_answers_get_full_marks_as_an_ordinary_user(graded, honest: str) -> None:
    rows = graded[1][honest]
    assert {row.score for row in rows.values()} == {1.0}, [r.reason for r in rows.values()]


def test_no_marker_leaks_and_nothing_is_left_as_an_ordinary_user(graded) -> None:
    _, by_student, left = graded
    check_no_marker(by_student)
    assert left == set()
    assert sandbox_processes() == []

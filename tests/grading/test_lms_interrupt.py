"""Ctrl-C during ``lrcourse grade`` (issue 22 item 10): it stops within seconds, keeps what
finished, prints no traceback and exits 130; the next ``grade`` grades the rest."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lrcourse.grading.gradebook import Gradebook
from tests.grading.test_class_round_trip import BANK, RIGHT_CODE, _filled

LRCOURSE = str(Path(sys.executable).parent / "lrcourse")
STUDENTS = [f"s{n:02d}" for n in range(12)]


@pytest.mark.slow
def test_ctrl_c_during_grade_stops_within_seconds_and_keeps_what_finished(tmp_path: Path) -> None:
    assign = [LRCOURSE, "assign", "hw", "--students", ",".join(STUDENTS), "--banks", str(BANK)]
    assign += ["--questions", "class.make-step-scheduler,class.where-lr-is-used"]
    subprocess.run(assign, cwd=tmp_path, check=True, capture_output=True, timeout=300)
    release = tmp_path / "assignments/hw/release/hw.ipynb"
    folder = tmp_path / "in"
    folder.mkdir()
    slow = "import time\ntime.sleep(8)\n" + RIGHT_CODE  # each run takes its wall time
    for student in STUDENTS:
        code = RIGHT_CODE if student < "s02" else slow
        answers = {"class.make-step-scheduler": code, "class.where-lr-is-used": 'answer = "step"\n'}
        (folder / f"{student}.ipynb").write_bytes(_filled(release, answers))
    grade = [LRCOURSE, "grade", "in", "--assignment", "assignments/hw", "--banks", str(BANK)]
    grade += ["--jobs", "1", "--wall", "10", "--cpu", "10", "--no-progress"]
    process = subprocess.Popen(grade, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    book = tmp_path / "gradebook.sqlite"
    deadline = time.monotonic() + 240
    graded = 0
    while time.monotonic() < deadline and graded < 2:  # wait for the two quick ones
        time.sleep(0.5)
        if book.exists():
            with Gradebook(book) as gradebook:
                graded = len(gradebook.submissions("hw"))
    assert graded >= 2, process.communicate(timeout=60)
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    stopped = time.monotonic() - sent
    print(f"\nCtrl-C to exit: {stopped:.2f} s (a run in flight had 8 s left to sleep)")
    assert process.returncode == 130, (out, err)
    assert "Traceback" not in err and "Traceback" not in out, err
    assert "interrupted (Ctrl-C)" in err and "graded and kept" in err
    assert stopped < 5.0
    with Gradebook(book) as gradebook:
        kept = gradebook.submissions("hw")
        runs = gradebook.runs()
    assert len(kept) >= 2 and "interrupted" in str(runs[-1]["summary"])

"""Hostile and broken LMS downloads: each becomes a finding on that hand-in; the run finishes.

Issue 23 item 8 (a hand-in belongs to the student whose LMS wrapper holds it, never to names a
student chose inside it), issue 23 item 9 (zip bombs: streamed under caps, every skip named),
issue 22 item 12 (answers JSON cannot hold, a lone surrogate, a non-UTF-8 file name, a zip
member encrypted / dated month 0 / with a 4300-digit id) and item 13 (a no-op grade is
instant). The downloads are laid out as in ``test_lms_class`` (canvas-lms ContentZipper,
Moodle assign::download_submissions).
"""

from __future__ import annotations

import json
import os
import time
import tracemalloc
import zipfile
from datetime import timedelta
from pathlib import Path

import nbformat
import pytest

from lrcourse.grading.intake import collect_folder
from tests.grading.test_lms_class import (
    DOWNLOADED,
    DUE,
    HALF,
    IDS,
    RIGHT,
    _grade,
    _lines,
    canvas_entry,
    course,  # noqa: F401  (the module's fixture)
    filled,
    moodle_folder,
    write_zip,
)

BOB, ALICE, ERIN, CAROL = 5, 0, 6, 7  # wzhang, jalvarez, slund, apena


def test_a_canvas_hand_in_belongs_to_the_outer_entry_not_names_inside_it(
    course,  # noqa: F811
    tmp_path: Path,
) -> None:
    """23.8: bob's zip holding a notebook named for alice, one named for erin, carol's dates."""
    release = course["hw1-release"]
    bob_zip = tmp_path / "bob.zip"
    with zipfile.ZipFile(bob_zip, "w") as inner:  # written by bob: names and dates his choice
        inner.writestr(zipfile.ZipInfo(canvas_entry(ALICE, 1, file="hw1.ipynb"), (2026, 2, 1, 0, 0, 0)), filled(release, RIGHT))  # fmt: skip
    carol_zip = tmp_path / "carol.zip"
    with zipfile.ZipFile(carol_zip, "w") as inner:
        inner.writestr(zipfile.ZipInfo("hw1.ipynb", (2026, 2, 1, 0, 0, 0)), filled(release, RIGHT))
    erin_zip = tmp_path / "erin.zip"
    with zipfile.ZipFile(erin_zip, "w") as inner:
        inner.writestr(canvas_entry(ERIN, 5, file="hw1.ipynb"), filled(release, RIGHT))
    entries = {
        canvas_entry(BOB, 700, file="work.zip"): bob_zip.read_bytes(),
        canvas_entry(ALICE, 701): filled(release, HALF),
        canvas_entry(CAROL, 702, late=True, file="work.zip"): carol_zip.read_bytes(),
        canvas_entry(1, 703, file="stuff.zip"): erin_zip.read_bytes(),  # zbronte hands erin's
    }
    folder = tmp_path / "canvas"
    folder.mkdir()
    write_zip(folder / "download.zip", entries)
    report, totals, hand_ins = _grade(course, folder, tmp_path / "book.sqlite")
    assert totals == {IDS[BOB]: 2.0, IDS[ALICE]: 1.0, IDS[CAROL]: 2.0, IDS[1]: 2.0}
    assert IDS[ERIN] not in totals and f"missing       {IDS[ERIN]}: no hand-in found" in _lines(report)  # fmt: skip
    assert hand_ins[IDS[CAROL]]["note"].startswith("marked LATE")  # her dates decide nothing
    # Even with file times on request, a student's own zip members carry the download's time.
    _, totals, hand_ins = _grade(
        course, folder, tmp_path / "b.sqlite", use_file_times=True, accept_late=True
    )
    assert hand_ins[IDS[CAROL]]["submitted_at"].startswith(DOWNLOADED.date().isoformat())


def test_a_moodle_hand_in_belongs_to_the_outer_folder(course, tmp_path: Path) -> None:  # noqa: F811
    release = course["hw1-release"]
    entries = {
        f"{moodle_folder(BOB)}/{moodle_folder(ERIN)}/hw1.ipynb": filled(release, RIGHT),
        f"{moodle_folder(ALICE)}/{canvas_entry(ERIN, 9)}": filled(release, HALF),
    }
    folder = tmp_path / "moodle"
    folder.mkdir()
    write_zip(folder / "download.zip", entries)
    report, totals, _ = _grade(course, folder, tmp_path / "book.sqlite")
    assert totals == {IDS[BOB]: 2.0, IDS[ALICE]: 1.0}
    assert f"missing       {IDS[ERIN]}: no hand-in found" in _lines(report)


def _with_sources(release: Path, sources: dict[str, str]) -> bytes:
    notebook = nbformat.read(release, as_version=4)
    for cell in notebook.cells:
        marker = cell.metadata.get("lrcourse", {})
        if marker.get("role") == "answer" and marker["question"] in sources:
            cell.source = sources[marker["question"]]
    return json.dumps(nbformat.from_dict(notebook)).encode("ascii")  # \ud800 stays escaped


def _mark_encrypted(path: Path, member: str) -> None:
    """Set the "encrypted" bit of ``member`` in both its headers (zipfile never writes it)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        offset = archive.getinfo(member).header_offset
    data[offset + 6] |= 0x1
    central = data.find(b"PK\x01\x02")
    while central != -1:
        length = int.from_bytes(data[central + 28 : central + 30], "little")
        if data[central + 46 : central + 46 + length] == member.encode():
            data[central + 8] |= 0x1
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))


def test_answers_and_names_that_crashed_a_run_are_findings_on_that_hand_in(
    course,  # noqa: F811
    tmp_path: Path,
) -> None:
    """22.12: each odd answer is invalid with a reason; odd names and members are named."""
    release = course["hw1-release"]
    q1, q2 = "class.where-lr-is-used", "class.true-statements"
    odd = {
        0: {q1: 'answer = {"a", "b"}\n'},
        1: {q1: 'answer = b"step"\n'},
        2: {q1: "answer = 1j\n"},
        3: {q2: 'answer = {1: "a", "b": 2}\n'},
        4: {q1: 'answer = "st\ud800ep"\n'},
    }
    folder = tmp_path / "in"
    folder.mkdir()
    entries = {
        canvas_entry(n, 800 + n): _with_sources(release, {**RIGHT, **sources})
        for n, sources in odd.items()
    }
    entries[canvas_entry(5, 805)] = filled(release, RIGHT)
    on_time = (DUE - timedelta(hours=1)).timetuple()[:6]  # times asked for below: on time
    with zipfile.ZipFile(folder / "download.zip", "w") as archive:
        for name, data in entries.items():
            archive.writestr(zipfile.ZipInfo(name, on_time), data)
        archive.writestr(zipfile.ZipInfo(canvas_entry(6, 806), on_time), filled(release, RIGHT))
        month0 = zipfile.ZipInfo(canvas_entry(7, 807), (2026, 0, 0, 0, 0, 0))
        archive.writestr(month0, filled(release, RIGHT))
        archive.writestr("x_" + "9" * 4300 + "_1_hw1.ipynb", filled(release, RIGHT))
    _mark_encrypted(folder / "download.zip", canvas_entry(6, 806))
    fd = os.open(os.fsencode(folder) + b"/\xff\xfehw1.ipynb", os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, filled(release, RIGHT))
    os.close(fd)
    os.utime(os.fsencode(folder) + b"/\xff\xfehw1.ipynb", (DUE.timestamp(),) * 2)
    report, totals, _ = _grade(course, folder, tmp_path / "book.sqlite", use_file_times=True)
    assert totals == {IDS[n]: 1.0 for n in range(5)} | {IDS[5]: 2.0, IDS[6]: 0.0, IDS[7]: 2.0}
    with_reason = {s: r for s, _, _, r in report.attention}
    assert "it is a set" in with_reason[IDS[0]]
    assert "it is a bytes" in with_reason[IDS[1]] and "it is a complex" in with_reason[IDS[2]]
    assert "a dict whose keys are not all text" in with_reason[IDS[3]]
    assert "lone surrogate" in with_reason[IDS[4]]
    lines = "\n".join(_lines(report))
    assert "an encrypted zip member (not unzipped)" in lines
    assert "\\xff\\xfehw1.ipynb" in lines  # the file name, escaped, in one printable line
    assert "x_" + "9" * 30 in lines and "not on the class list" in lines
    lines.encode("utf-8")  # every finding can be printed and stored


@pytest.mark.slow  # ~10 s: a real bomb through the real grader (CI runs it)
def test_a_zip_bomb_is_streamed_under_caps_and_every_skip_is_named(tmp_path: Path, course) -> None:  # noqa: F811
    """23.9: >20 000 members and a 64 MB member in a small zip: capped, named, memory bounded."""
    folder = tmp_path / "in"
    folder.mkdir()
    with zipfile.ZipFile(folder / "many.zip", "w") as archive:
        for n in range(20_050):
            archive.writestr(f"f{n}.txt", "")
    with zipfile.ZipFile(folder / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(canvas_entry(0, 1), b"\0" * (64 * 1024 * 1024))  # a 64 MB "notebook"
        for n in range(1, 40):  # 4 MB each, 156 MB in all: over the walk's unzip budget
            archive.writestr(canvas_entry(n % 25, 1 + n), b" " * (4 * 1024 * 1024))
    assert (folder / "bomb.zip").stat().st_size < 2_000_000
    tracemalloc.start()
    try:
        intake = collect_folder(folder, course["hw1"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    lines = [f.line() for f in intake.findings]
    assert any("20050 members; only the first" in line for line in lines)
    assert any("67.1 MB unzipped; over the 5 MB cap" in line for line in lines)
    budget = [line for line in lines if "unzip budget is spent" in line]
    assert len(budget) >= 6  # 128 MB of 156: the rest named, not read
    assert peak < 150 * 1024 * 1024, peak / 1e6  # never every member at once


def test_a_grade_with_nothing_new_is_instant(course, tmp_path: Path) -> None:  # noqa: F811
    """22.13: no sandbox, no torch, when every hand-in is graded already (target ≤ 1 s)."""
    entries = {canvas_entry(n, 900 + n): filled(course["hw1-release"], RIGHT) for n in range(23)}
    folder = tmp_path / "canvas"
    folder.mkdir()
    write_zip(folder / "d.zip", entries)
    book = tmp_path / "book.sqlite"
    _grade(course, folder, book)
    start = time.monotonic()
    report, totals, _ = _grade(course, folder, book)
    seconds = time.monotonic() - start
    print(f"\nno-op grade of 23 hand-ins: {seconds:.3f} s (target 1 s)")
    assert report.graded == 0 and report.skipped == 23 and len(totals) == 23
    assert seconds <= 1.0
    start = time.monotonic()
    report, _, _ = _grade(course, folder, book, students=[IDS[3]], regrade=True)
    seconds = time.monotonic() - start
    print(f"one-student regrade (choice questions): {seconds:.3f} s (target 3 s)")
    assert report.graded == 1 and seconds <= 3.0

"""Instructor commands that do little take little (issue 22 item 13): a class of 25, timed.

Usage: ``.venv/bin/python benchmarks/instructor_commands.py [--repeat 3] [--variants]``

Builds the class of ``tests/grading/test_class_round_trip.py`` (its roster, bank and right
answers; 13 Canvas hand-ins in one "download submissions" zip, 10 Moodle folders) in a
temporary folder, then runs each command as the instructor would, a separate ``lrcourse``
process: ``assign``, ``grade`` of the Canvas zip, ``grade`` again with nothing new, ``grade
--regrade --student`` of one Moodle hand-in (it has a code question: one sandbox run) and
``export``. Each row is repeated ``--repeat`` times (the median is printed) and gives the wall
time, the CPU time of the command and everything it waited for (user + system, from
``getrusage(RUSAGE_CHILDREN)``), whether the command imported torch (``-X importtime``), and
the target beside it. ``--variants`` adds ``assign --variants`` (per-student variants, each
checked under torch: torch is needed there).

The machine this runs on may be shared: CPU seconds are the steadier figure; the wall time of
a command that waits on a second process (the sandbox server) is bounded below by the longer of
the two CPU paths. Each repetition uses its own key cache (``LRCOURSE_CACHE``), so the first
``assign`` computes the predict and numeric keys with torch and the later commands read them.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lrcourse.grading.manifest import Manifest, load_questions  # noqa: E402
from tests.grading.test_class_round_trip import (  # noqa: E402
    BANK,
    CANVAS,
    DUE,
    IDS,
    MOODLE,
    NAMES,
    _answers,
    _filled,
)

LRCOURSE = str(Path(sys.executable).parent / "lrcourse")
#: Row -> (target wall seconds or None, what the target is from).
TARGETS: dict[str, tuple[float | None, str]] = {
    "assign": (None, "torch: computes the keys (first time)"),
    "assign again --force": (None, "no torch: keys cached"),
    "assign --variants": (None, "torch needed (variants checked)"),
    "grade canvas (13)": (None, "-"),
    "grade, nothing new": (1.0, "issue 22 item 13"),
    "regrade one student": (3.0, "issue 22 item 13 (2 quiet cores)"),
    "export": (None, "no torch when keys are cached"),
}


def run(tmp: Path, *args: str) -> tuple[int, str, str, float, float, bool]:
    """Run ``lrcourse ARGS`` in ``tmp``: status, stdout, stderr, wall s, CPU s, torch imported."""
    # A key cache of this class's own (keycache): the first assign computes the keys with torch.
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1", "LRCOURSE_CACHE": str(tmp / "cache")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    done = subprocess.run(
        [LRCOURSE, *args], cwd=tmp, env=env, capture_output=True, text=True, check=False
    )
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    torch = any(line.split("|")[-1].strip() == "torch" for line in done.stderr.splitlines())
    stderr = "\n".join(line for line in done.stderr.splitlines() if "import time:" not in line)
    return done.returncode, done.stdout, stderr, wall, cpu, torch


def build_class(tmp: Path, *, variants: bool) -> list[str]:
    """Write the roster and run ``assign``; return the ``assign`` arguments."""
    with (tmp / "roster.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "canvas_id", "moodle_id"])
        for n, (student, name) in enumerate(zip(IDS, NAMES, strict=True)):
            writer.writerow([student, name, str(48200 + n) if n % 2 else "", str(9100 + n)])
    questions = load_questions(BANK)
    return [
        "assign", "hw3", "--students", "roster.csv", "--per-student",
        *(["--variants"] if variants else []),
        "--banks", str(BANK), "--questions", ",".join(questions), "--seed", "7",
        "--points", "class.make-step-scheduler=2,class.why-warm-up=2",
        "--due", DUE.isoformat(), "--penalty", "0.1", "--cutoff", "7", "--force",
    ]  # fmt: skip


def hand_ins(tmp: Path) -> None:
    """Write the Canvas zip and the Moodle folders of right answers for the assigned class."""
    questions = load_questions(BANK)
    manifest = Manifest.load(tmp / "assignments/hw3/manifest.json")
    release = tmp / "assignments/hw3/release"
    work = {
        n: _filled(release / f"{student}.ipynb", _answers(student, manifest, questions))
        for n, student in enumerate(IDS[:23])
    }
    canvas = tmp / "canvas"
    shutil.rmtree(canvas, ignore_errors=True)
    canvas.mkdir()
    with zipfile.ZipFile(canvas / "submissions.zip", "w") as archive:
        for n in CANVAS:
            first, last = NAMES[n].split(" ", 1)
            login = (last + first).lower().replace("á", "a").replace("é", "e").replace(" ", "")
            when = DUE - timedelta(hours=n)
            name = f"{login}_{48200 + n}_{1290000 + n}_hw3.ipynb"
            archive.writestr(zipfile.ZipInfo(name, when.timetuple()[:6]), work[n])
    moodle = tmp / "moodle"
    shutil.rmtree(moodle, ignore_errors=True)
    for n in MOODLE:
        folder = moodle / f"{NAMES[n]}_{5550 + n}_assignsubmission_file_"
        folder.mkdir(parents=True)
        (folder / "hw3.ipynb").write_bytes(work[n])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per row (median printed)")
    parser.add_argument("--variants", action="store_true", help="also time assign --variants")
    args = parser.parse_args()
    samples: dict[str, list[tuple[float, float, bool]]] = {name: [] for name in TARGETS}

    def timed(tmp: Path, name: str | None, *command: str) -> str:
        status, out, err, wall, cpu, torch = run(tmp, *command)
        if status not in (0, 1):  # 1: findings for a person (the written answers to review)
            raise SystemExit(f"{command[0]}: exit {status}\n{out}\n{err}")
        if name is not None:
            samples[name].append((wall, cpu, torch))
        return out

    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="lrcourse-bench-") as folder:
            tmp = Path(folder)
            timed(tmp, "assign", *build_class(tmp, variants=False))
            timed(tmp, "assign again --force", *build_class(tmp, variants=False))
            if args.variants:  # the class is then graded with its variants
                timed(tmp, "assign --variants", *build_class(tmp, variants=True))
            hand_ins(tmp)
            grade = ["grade", "--assignment", "assignments/hw3", "--banks", str(BANK)]
            grade += ["--no-progress", "--jobs", "2", "--wall", "10", "--cpu", "5"]
            out = timed(tmp, "grade canvas (13)", *grade, "canvas")
            assert "13 graded" in out, out
            out = timed(tmp, "grade, nothing new", *grade, "canvas")
            assert "0 graded, 13 already graded, 0 code run(s)" in out, out
            timed(tmp, None, *grade, "moodle")  # fills the book; not a row
            out = timed(tmp, "regrade one student", *grade, "moodle", "--regrade", "--student", IDS[14])  # fmt: skip
            assert "1 graded" in out and "1 code run(s)" in out, out
            timed(tmp, "export", "export", "hw3", "--banks", str(BANK))

    print(f"\ninstructor commands, class of 25, median of {args.repeat} (cores: {os.cpu_count()},")
    print(f"load average at the end {os.getloadavg()[0]:.2f}); wall and CPU in seconds\n")
    print(f"{'command':<22} {'wall':>6} {'CPU':>6}  {'torch':<5}  {'target (wall)':<14} from")
    for name, rows in samples.items():
        if not rows:
            continue
        wall = statistics.median(r[0] for r in rows)
        cpu = statistics.median(r[1] for r in rows)
        torch = "yes" if any(r[2] for r in rows) else "no"
        target, why = TARGETS[name]
        goal = f"<= {target:.1f} s" if target is not None else "-"
        print(f"{name:<22} {wall:6.2f} {cpu:6.2f}  {torch:<5}  {goal:<14} {why}")
    print("\nbaseline: the same script at the commit before (ad51772, PYTHONPATH=<its lrcourse>),")
    print("same machine, run right after, median of 3 (2 shared cores, load ~5), wall / CPU s:")
    print("  assign 8.73 / 4.97 (torch), assign again 6.52 / 4.44 (torch), grade 13 4.28 / 4.84,")
    print("  nothing new 0.38 / 0.37, one-student regrade 5.30 / 5.03, export 4.29 / 3.48 (torch)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

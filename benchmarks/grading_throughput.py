"""Grading throughput: ``lrcourse grade`` vs nbgrader's ``autograde`` on the same submissions.

Usage: ``.venv/bin/python benchmarks/grading_throughput.py [--students 60] [--jobs 2]
[--scale 600]``; ``--jail [--run-cost 100]`` instead measures what the run jail (issue 23)
costs: one run and the 60-submission throughput, before it and with it, in the same command. Builds one assignment of five questions (single choice, predict, numeric,
select-all and a code question checked against a torch trace: ``tests/files/grading/banks``),
writes the same answers for every student into an lrcourse release and into an nbgrader release
of the same questions (nbgrader's hidden tests check the same keys), grades both, checks the two
tools agree on every student's total, and prints a table. ``--scale`` adds an lrcourse-only run
on more copies to show steady-state throughput.

nbgrader is installed in its own venv (``benchmarks/.venv-nbgrader``, gitignored):
``python3 -m venv benchmarks/.venv-nbgrader && benchmarks/.venv-nbgrader/bin/pip install
nbgrader==0.9.6``. Its notebooks run on a kernel from this project's ``.venv`` (the course's
environment, which has torch), registered under ``benchmarks/results/`` only.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
# The baseline's package (--jail copies an older revision's lrcourse/ alone) finds no banks beside
# it: every grading here reads this checkout's banks.
os.environ.setdefault("LRCOURSE_QUIZ_DIR", str(ROOT / "quizzes"))
BANKS = ROOT / "tests" / "files" / "grading" / "banks"
NBGRADER_VENV = ROOT / "benchmarks" / ".venv-nbgrader"
WORK = ROOT / "benchmarks" / "results" / "grading"
PYTHON = ROOT / ".venv" / "bin" / "python"
PINNED_NBGRADER = "0.9.6"

RIGHT_CODE = (
    "def make_scheduler(optimizer):\n    return StepLR(optimizer, step_size=3, gamma=0.1)\n"
)
WRONG_CODE = (
    "def make_scheduler(optimizer):\n    return StepLR(optimizer, step_size=3, gamma=0.5)\n"
)


def answers_of(index: int) -> dict[str, object]:
    """Return student ``index``'s answers: a deterministic mix of right and wrong."""
    return {
        "pick": "step" if index % 4 else "backward",
        "predict": "0.05" if index % 3 else "0.025",
        "numeric": 0.162 if index % 5 else 0.18,
        # All right or all wrong: nbgrader's asserts give no partial credit, lrcourse would.
        "multi": ["step-first", "groups"] if index % 2 else ["verbose-ok"],
        "code": RIGHT_CODE if index % 3 != 1 else WRONG_CODE,
    }


QUESTION_OF = {
    "pick": "grading-test.where-lr-is-used",
    "predict": "grading-test.steplr-after-three",
    "numeric": "grading-test.rate-after-decay",
    "multi": "grading-test.true-statements",
    "code": "grading-test.make-step-scheduler",
}


def lrcourse_submissions(folder: Path, students: int, out: Path) -> Path:
    """Write the lrcourse release answered by each student; return the manifest folder."""
    from lrcourse.grading.assign import AssignmentSpec, write_assignment
    from lrcourse.grading.manifest import load_questions

    pool = load_questions(BANKS)
    spec = AssignmentSpec("bench", "Benchmark", question_ids=list(QUESTION_OF.values()), seed=0)
    write_assignment(spec, pool, out)
    release = nbformat.read(out / "bench" / "release" / "bench.ipynb", as_version=4)
    folder.mkdir(parents=True)
    for index in range(students):
        notebook = nbformat.from_dict(json.loads(json.dumps(release)))
        answers = answers_of(index)
        for cell in notebook.cells:
            marker = cell.metadata.get("lrcourse", {})
            if marker.get("role") != "answer":
                continue
            name = next(k for k, q in QUESTION_OF.items() if q == marker["question"])
            value = answers[name]
            if name == "code":
                cell.source = value
            elif name == "predict":
                cell.source = f'answer = """\n{value}\n"""\n'
            else:
                cell.source = f"answer = {value!r}\n"
        nbformat.write(notebook, folder / f"student-{index:03d}.ipynb")
    return out / "bench"


NBGRADER_CELLS = [
    ("pick", 'answer_pick = "step"', 'assert answer_pick == "step"'),
    ("predict", 'answer_predict = """\n0.05\n"""', 'assert answer_predict.split() == ["0.05"]'),
    ("numeric", "answer_numeric = 0.162", "assert abs(answer_numeric - 0.162) <= 1e-4 * 0.162"),
    (
        "multi",
        'answer_multi = ["step-first", "groups"]',
        'assert sorted(answer_multi) == ["groups", "step-first"]',
    ),
    ("code", RIGHT_CODE.replace("StepLR", "torch.optim.lr_scheduler.StepLR"), ""),
]
NBGRADER_CODE_TEST = """\
def rates(make):
    opt = torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.1},
                           {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.01}],
                          lr=0.1, momentum=0.9)
    sched, seen = make(opt), []
    for _ in range(6):
        seen.append([g["lr"] for g in opt.param_groups])
        opt.step()
        sched.step()
    return seen, sched.get_last_lr()
### BEGIN HIDDEN TESTS
reference = lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.1)
assert rates(make_scheduler) == rates(reference)
### END HIDDEN TESTS
"""


def _nbgrader_source() -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    notebook.cells.append(
        nbformat.v4.new_code_cell("import torch\nfrom torch.optim.lr_scheduler import StepLR")
    )
    for name, solution, test in NBGRADER_CELLS:
        cell = nbformat.v4.new_code_cell(f"### BEGIN SOLUTION\n{solution}\n### END SOLUTION")
        cell.metadata["nbgrader"] = {
            "grade": False,
            "grade_id": name,
            "locked": False,
            "schema_version": 3,
            "solution": True,
            "task": False,
        }
        check = nbformat.v4.new_code_cell(
            NBGRADER_CODE_TEST
            if name == "code"
            else f"### BEGIN HIDDEN TESTS\n{test}\n### END HIDDEN TESTS"
        )
        check.metadata["nbgrader"] = {
            "grade": True,
            "grade_id": f"test_{name}",
            "locked": True,
            "points": 1,
            "schema_version": 3,
            "solution": False,
            "task": False,
        }
        notebook.cells += [cell, check]
    return notebook


def _nbgrader_env(course: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON"))}
    jupyter = course / ".jupyter"
    kernel = jupyter / "data" / "kernels" / "python3"
    kernel.mkdir(parents=True, exist_ok=True)
    (kernel / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [str(PYTHON), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (lrcourse .venv)",
                "language": "python",
            }
        )
    )
    env.update(
        {
            "JUPYTER_PATH": str(jupyter / "data"),
            "JUPYTER_DATA_DIR": str(jupyter / "data"),
            "JUPYTER_CONFIG_DIR": str(jupyter / "config"),
            "JUPYTER_RUNTIME_DIR": str(jupyter / "runtime"),
            "IPYTHONDIR": str(jupyter / "ipython"),
            "MPLBACKEND": "Agg",
            "OMP_NUM_THREADS": "1",
            # As if the venv were activated: nbgrader runs `alembic` from PATH.
            "PATH": f"{NBGRADER_VENV / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}",
        }
    )
    return env


def nbgrader_course(course: Path, students: int) -> dict[str, str]:
    """Create the nbgrader course, release it and hand in every student's answers."""
    nbgrader = NBGRADER_VENV / "bin" / "nbgrader"
    env = _nbgrader_env(course)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.course_id = 'lrcourse-bench'\n"
        "c.ExecutePreprocessor.timeout = 60\n"
    )
    source = course / "source" / "bench"
    source.mkdir(parents=True)
    nbformat.write(_nbgrader_source(), source / "bench.ipynb")
    subprocess.run(
        [str(nbgrader), "generate_assignment", "bench", "--force"],
        cwd=course,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    release = nbformat.read(course / "release" / "bench" / "bench.ipynb", as_version=4)
    for index in range(students):
        notebook = nbformat.from_dict(json.loads(json.dumps(release)))
        answers = answers_of(index)
        for cell in notebook.cells:
            meta = cell.metadata.get("nbgrader", {})
            if not meta.get("solution"):
                continue
            name, value = meta["grade_id"], answers[meta["grade_id"]]
            if name == "code":
                cell.source = value.replace("StepLR", "torch.optim.lr_scheduler.StepLR")
            elif name == "predict":
                cell.source = f'answer_predict = """\n{value}\n"""'
            else:
                cell.source = f"answer_{name} = {value!r}"
        target = course / "submitted" / f"student-{index:03d}" / "bench"
        target.mkdir(parents=True)
        nbformat.write(notebook, target / "bench.ipynb")
    return env


def run_nbgrader(course: Path, env: dict[str, str]) -> tuple[float, dict[str, float]]:
    """Time ``nbgrader autograde``; return seconds and each student's total (from its export)."""
    nbgrader = str(NBGRADER_VENV / "bin" / "nbgrader")
    start = time.perf_counter()
    done = subprocess.run(
        [nbgrader, "autograde", "bench"], cwd=course, env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"nbgrader autograde failed:\n{done.stderr[-3000:]}")
    subprocess.run(
        [nbgrader, "export", "--to", "grades.csv"],
        cwd=course,
        env=env,
        check=True,
        capture_output=True,
    )
    with open(course / "grades.csv") as handle:
        totals = {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)}
    return seconds, totals


def run_lrcourse(
    folder: Path, manifest: Path, book: Path, jobs: int, course: Path | None = None
) -> tuple[float, float, dict[str, float]]:
    """Time ``lrcourse grade`` (a fresh process); return wall s, grading s, totals.

    ``course``: a checkout whose ``lrcourse`` package grades instead of this one's.
    """
    env = dict(os.environ)
    if course is not None:
        env["PYTHONPATH"] = str(course)
    start = time.perf_counter()
    done = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "lrcourse"),
            "grade",
            str(folder),
            "--assignment",
            str(manifest),
            "--gradebook",
            str(book),
            "--banks",
            str(BANKS),
            "--jobs",
            str(jobs),
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"lrcourse grade failed:\n{done.stderr[-3000:]}")
    grading = float(done.stdout.split(" s (")[0].rsplit(", ", 1)[1])
    from lrcourse.grading.gradebook import Gradebook

    with Gradebook(book) as gradebook:
        totals = gradebook.summary("bench")
    return seconds, grading, totals


def sandbox_run_cost(runs: int) -> tuple[float, float, str]:
    """Return the median and 90th-percentile seconds of one code run, and the isolation level.

    One warm server, the benchmark's right answer under the lab probe grading uses: what a
    run costs end to end (fork, sealing, limits, the code, the observers, the answer). Run it
    on another checkout (``PYTHONPATH=<checkout>``) to see what a change to the sandbox costs.
    """
    import statistics

    from lrcourse.grading.manifest import load_questions
    from lrcourse.quiz.judge import lab_job
    from lrcourse.quiz.run import LAB_MODULES, LAB_RUNNER
    from lrcourse.sandbox.pool import Limits, Probe, Sandbox

    question = load_questions(BANKS)[QUESTION_OF["code"]]
    job = lab_job(question, "")
    job.pop("source")
    probe = Probe("lab", args={"runner": LAB_RUNNER, "job": job})
    with Sandbox(preload=LAB_MODULES) as box:
        seconds = []
        for _ in range(runs + 5):
            result = box.run(RIGHT_CODE, probe, Limits())
            assert result.ok, result.reason
            seconds.append(result.elapsed_s)
        seconds = sorted(seconds[5:])  # the first runs warm caches
        return statistics.median(seconds), seconds[int(0.9 * len(seconds))], box.isolation


#: The sandbox before each run got its own IPC, network and UTS namespaces, a /dev without
#: terminals, no kernel keys and an allow-listed world (issue 23): the jail's baseline.
BEFORE_THE_JAIL = "8611f84"
#: The sandbox modules the jail changed; the baseline course is this checkout with these put back.
JAIL_MODULES = ("lrcourse/sandbox/_zygote.py", "lrcourse/sandbox/_confine.py")


def baseline_course(revision: str, where: Path) -> Path:
    """Return a copy of this checkout's package with ``JAIL_MODULES`` as they were at ``revision``.

    Everything else (grading, the harness) is today's, so the comparison shows what the jail
    costs, not what other changes since then cost.
    """
    shutil.copytree(
        ROOT / "lrcourse", where / "lrcourse", ignore=shutil.ignore_patterns("__pycache__")
    )
    for module in JAIL_MODULES:
        old = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{revision}:{module}"],
            capture_output=True,
            check=True,
        ).stdout
        (where / module).write_bytes(old)
    return where


def run_cost_of(course: Path, runs: int) -> tuple[float, float, str]:
    """Run :func:`sandbox_run_cost` in a fresh process on ``course``'s package."""
    done = subprocess.run(
        [str(PYTHON), __file__, "--run-cost", str(runs), "--json"],
        env={**os.environ, "PYTHONPATH": str(course)},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"the run-cost measurement failed on {course}:\n{done.stderr[-3000:]}")
    median, p90, isolation = json.loads(done.stdout.strip().splitlines()[-1])
    return median, p90, isolation


def jail_steps_cost(runs: int) -> tuple[float, ...]:
    """Return median ms (wall, then child CPU) of a forked child that enters a PID namespace
    (what a run did before the jail), then the same of one that takes the jail's per-run steps
    (its namespaces with their IPC caps, the key fence); root only, each child exits at once.
    The network namespace's teardown runs later in a kernel worker and is not in these."""
    import ctypes
    import statistics

    from lrcourse.sandbox import _confine, _fence

    def once(steps) -> float:
        start = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            try:
                steps()
            finally:
                os._exit(0)
        usage = os.wait4(pid, 0)[2]
        return time.perf_counter() - start, usage.ru_utime + usage.ru_stime

    def before() -> None:
        _confine.check(_confine.libc.unshare(_confine.CLONE_NEWPID), "unshare")

    temp_bytes, libc = limits_temp_bytes(), ctypes.CDLL(None)  # nothing loaded in the children

    def jail() -> None:
        _confine.enter_run_namespaces(temp_bytes)
        libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS, as the run sets it
        _fence.fence_off()

    pairs = [(*once(before), *once(jail)) for _ in range(runs)]  # interleaved: same load for both
    return tuple(statistics.median(column) * 1e3 for column in zip(*pairs, strict=True))


def limits_temp_bytes() -> int:
    from lrcourse.sandbox.pool import Limits

    return Limits().temp_bytes


def jail_comparison(students: int, jobs: int, runs: int, revision: str) -> None:
    """Print the cost of one run and the throughput of ``students`` submissions, before/after."""
    work = WORK / "jail"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    before = baseline_course(revision, work / "before")
    manifest = lrcourse_submissions(work / "submitted", students, work / "release")
    load_before = os.getloadavg()[0]
    rows = []
    # Interleaved, twice each: a burst of load elsewhere then hits both alike.
    for rep in range(2):
        for label, course in ((f"before the jail ({revision})", before), ("with the jail", ROOT)):
            median, p90, isolation = run_cost_of(course, runs)
            book = work / f"book-{rep}-{len(rows)}.sqlite"
            wall, grading, totals = run_lrcourse(work / "submitted", manifest, book, jobs, course)
            rows.append((label, isolation, median, p90, wall, grading, totals))
    steps = jail_steps_cost(runs * 5) if os.geteuid() == 0 else None
    load_after = os.getloadavg()[0]
    cores = os.cpu_count() or 1
    print(
        f"\nThe jail's cost: {runs} single code runs (one warm server), then `lrcourse grade` of "
        f"{students} submissions (--jobs {jobs}), {cores} cores, each measured twice, interleaved."
    )
    print(
        f"{'sandbox':<26} {'isolation':<14} {'run median ms':>13} {'run p90 ms':>10} "
        f"{'wall s':>7} {'subs/s':>7} {'grading s':>9} {'subs/s':>7}"
    )
    for label, isolation, median, p90, wall, grading, _ in rows:
        print(
            f"{label:<26} {isolation:<14} {median * 1e3:>13.1f} {p90 * 1e3:>10.1f} "
            f"{wall:>7.2f} {students / wall:>7.1f} {grading:>9.2f} {students / grading:>7.1f}"
        )
    if steps is not None:
        print(
            f"The jail's per-run steps alone ({runs * 5} forked children each, median wall / "
            f"child CPU): fork + PID namespace {steps[0]:.2f} / {steps[1]:.2f} ms, fork + the "
            f"jail's steps {steps[2]:.2f} / {steps[3]:.2f} ms."
        )
    same = all(row[6] == rows[0][6] for row in rows)
    print(f"Every student's total {'is the same' if same else 'DIFFERS'} in all four gradings.")
    contended = max(load_before, load_after) > 0.5 * cores
    print(
        f"Load average {load_before:.1f} before, {load_after:.1f} after, on {cores} cores: "
        + ("CONTENDED, re-measure on a quiet machine." if contended else "quiet.")
    )


def main() -> int:
    """Run both graders on the same submissions and print the comparison table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=60)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--scale", type=int, default=600, help="lrcourse-only run size (0: skip)")
    parser.add_argument("--no-nbgrader", action="store_true", help="skip nbgrader (quick runs)")
    parser.add_argument(
        "--run-cost", type=int, default=0, help="only time N single sandbox runs, then exit"
    )
    parser.add_argument("--json", action="store_true", help="with --run-cost: print JSON")
    parser.add_argument(
        "--jail",
        action="store_true",
        help="only compare the sandbox before the jail (--before) with this checkout's",
    )
    parser.add_argument("--before", default=BEFORE_THE_JAIL, help="revision of the baseline")
    args = parser.parse_args()
    if args.jail:
        jail_comparison(args.students, args.jobs, args.run_cost or 100, args.before)
        return 0
    if args.run_cost:
        median, p90, isolation = sandbox_run_cost(args.run_cost)
        if args.json:
            print(json.dumps([median, p90, isolation]))
            return 0
        print(
            f"one code run ({isolation}), {args.run_cost} runs: median {median * 1e3:.1f} ms, "
            f"90th percentile {p90 * 1e3:.1f} ms"
        )
        return 0
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    manifest = lrcourse_submissions(
        WORK / "lrcourse" / "submitted", args.students, WORK / "lrcourse"
    )
    lr_wall, lr_grading, lr_totals = run_lrcourse(
        WORK / "lrcourse" / "submitted", manifest, WORK / "lrcourse" / "gradebook.sqlite", args.jobs
    )
    rows = [("lrcourse grade", args.students, lr_wall, lr_grading)]
    nb_wall = None
    if args.no_nbgrader:
        agreement = "nbgrader skipped (--no-nbgrader)"
    elif (NBGRADER_VENV / "bin" / "nbgrader").exists():
        env = nbgrader_course(WORK / "nbgrader", args.students)
        nb_wall, nb_totals = run_nbgrader(WORK / "nbgrader", env)
        rows.append((f"nbgrader {PINNED_NBGRADER} autograde", args.students, nb_wall, nb_wall))
        mismatched = [s for s in lr_totals if abs(lr_totals[s] - nb_totals.get(s, -1)) > 1e-9]
        agreement = (
            "agree on every student's total" if not mismatched else f"DISAGREE on {mismatched}"
        )
    else:
        agreement = f"nbgrader not installed in {NBGRADER_VENV} (see this file's docstring)"
    if args.scale:
        scaled = lrcourse_submissions(WORK / "scale" / "submitted", args.scale, WORK / "scale")
        wall, grading, _ = run_lrcourse(
            WORK / "scale" / "submitted", scaled, WORK / "scale" / "book.sqlite", args.jobs
        )
        rows.append(("lrcourse grade (scale run)", args.scale, wall, grading))
    print(
        f"\nGrading throughput, {os.cpu_count()} cores, --jobs {args.jobs}; every submission has 4 "
        "choice/value answers and 1 code answer (so submissions/s = code submissions/s)."
    )
    print(
        f"{'grader':<30} {'subs':>5} {'wall s':>8} {'subs/s':>8} {'grading s':>10} {'subs/s':>8} {'vs nbgrader':>12}"
    )
    for name, count, wall, grading in rows:
        speedup = f"{(count / wall) / (args.students / nb_wall):.0f}x" if nb_wall else "n/a"
        print(
            f"{name:<30} {count:>5} {wall:>8.2f} {count / wall:>8.1f} {grading:>10.2f} {count / grading:>8.1f} {speedup:>12}"
        )
    print(f"Results: {agreement}.")
    print(
        "wall s: the whole command (interpreter start, imports, sandbox servers); grading s: as "
        "lrcourse reports it (reading, sandboxes, checks, gradebook writes)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The course as an instructor or a learner gets it: the built wheel, in a fresh venv, far from the clone.

``make wheel-test`` runs this module (marker ``wheel``; ``make unit`` leaves it out). It builds the
wheel and the sdist with the project's own setuptools, creates a venv with ``python3 -m venv`` in a
temporary folder, installs the wheel there offline (``--no-index``, from the wheelhouse ``make
wheelhouse`` fills from pip's cache, at the pins of requirements.txt), and then uses it as a person
would, from empty folders: ``lrcourse --version``, ``quiz verify``, ``quiz list``, ``assign``, a
hand-in, ``grade``, ``export``, and every chapter notebook copied alone into a folder of its own and
run by strict nbval (under ``MKL_CBWR=COMPATIBLE``: this is one of the three nbval passes of
``make test``). Nothing here can see the repository: no editable install, no ``PYTHONPATH``, the
working directories are empty temporary folders.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.wheel

ROOT = Path(__file__).resolve().parents[2]
WHEELHOUSE = Path(os.environ.get("LRCOURSE_WHEELHOUSE", ROOT / ".cache" / "wheelhouse"))
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: What runs the notebooks beside the course itself, at requirements.txt's pins.
TEST_TOOLS = ("nbval", "pytest", "pytest-xdist", "ipykernel")


@dataclass(frozen=True)
class Installed:
    """A fresh venv with the wheel installed, and a place outside the clone to work in."""

    venv: Path
    work: Path
    env: dict[str, str]

    def run(self, *args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``args`` (the first looked up in the venv's bin/) in ``cwd``; fail with its output."""
        command = [str(self.venv / "bin" / args[0]), *args[1:]]
        done = subprocess.run(command, cwd=cwd, env=self.env, capture_output=True, text=True)
        if check and done.returncode != 0:
            pytest.fail(f"{' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return done

    def folder(self, name: str) -> Path:
        """Return a new empty folder ``name`` under the work area."""
        path = self.work / name
        path.mkdir()
        return path


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the sdist and the wheel as a release does, with the venv's setuptools (offline)."""
    out = tmp_path_factory.mktemp("dist")
    build = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)]
    done = subprocess.run(build, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


@pytest.fixture(scope="session")
def wheel(dist: Path) -> Path:
    (path,) = dist.glob(f"lrcourse-{VERSION}-py3-none-any.whl")
    return path


@pytest.fixture(scope="session")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """A venv made by ``python3 -m venv`` outside the clone, holding only the wheel and its deps."""
    if not WHEELHOUSE.is_dir():
        pytest.fail(f"no wheelhouse at {WHEELHOUSE}: run `make wheelhouse` (make wheel-test does)")
    base = tmp_path_factory.mktemp("outside")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    install = [
        str(venv / "bin" / "python"),
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-index",
        "--find-links",
        str(WHEELHOUSE),
        "--constraint",
        str(ROOT / "requirements.txt"),
        str(wheel),
        *TEST_TOOLS,
    ]
    done = subprocess.run(install, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    work = base / "work"
    work.mkdir()
    home = base / "home"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "VIRTUAL_ENV", "LRCOURSE_QUIZ_DIR", "PYTEST_ADDOPTS"}
        and not key.startswith(("JUPYTER_", "PYTEST_XDIST"))
    }
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        HOME=str(home),
        JUPYTER_CONFIG_DIR=str(home / "jupyter-config"),
        JUPYTER_DATA_DIR=str(home / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(home / "jupyter-runtime"),
        JUPYTER_PLATFORM_DIRS="1",
        IPYTHONDIR=str(home / "ipython"),
        MPLCONFIGDIR=str(home / "matplotlib"),
        LRCOURSE_PROGRESS_FILE_DIR=str(home / "progress"),
        MPLBACKEND="Agg",
        PYTHONHASHSEED="0",
        LRCOURSE_DEVICE="cpu",
    )
    return Installed(venv=venv, work=work, env=env)


def test_the_sdist_holds_the_tests_banks_and_notebooks(dist: Path):
    (sdist,) = dist.glob(f"lrcourse-{VERSION}.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    tracked = subprocess.run(
        ["git", "ls-files", "tests", "quizzes", "notebooks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    missing = [path for path in tracked if path not in names and (ROOT / path).exists()]
    assert not missing, f"tracked files missing from the sdist: {missing[:10]}"


def test_the_wheel_holds_the_banks_data_and_static_files(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    banks = {p.name for p in (ROOT / "quizzes").glob("*.yaml")}
    assert {f"lrcourse/banks/{name}" for name in banks} <= names
    static = {p.name for p in (ROOT / "lrcourse" / "static").iterdir() if p.is_file()}
    assert {f"lrcourse/static/{name}" for name in static} <= names
    assert "lrcourse/data/digits.csv.gz" in names
    assert not [name for name in names if name.startswith(("tests/", "quizzes/"))]


def test_version(installed: Installed):
    done = installed.run("lrcourse", "--version", cwd=installed.folder("version"))
    assert done.stdout.strip() == f"lrcourse {VERSION}"


def test_no_cuda_and_the_venv_size(installed: Installed):
    """A CPU course pulls no CUDA libraries; the size is printed for the record (``-s`` shows it)."""
    listed = installed.run("python", "-m", "pip", "list", "--format=freeze", cwd=installed.work)
    names = [line.split("==")[0].lower() for line in listed.stdout.split()]
    assert not [name for name in names if name.startswith(("nvidia", "triton"))], names
    size = sum(
        f.stat().st_size for f in installed.venv.rglob("*") if f.is_file() and not f.is_symlink()
    )
    print(f"\nfresh venv with the wheel, CPU torch and the nbval tools: {size / 2**20:.0f} MiB")
    assert size < 2 * 2**30, "a CPU venv over 2 GiB: did CUDA come in?"


def test_the_banks_come_from_the_installed_package(installed: Installed):
    code = (
        "import lrcourse, lrcourse.quiz.bank as b; d = b.quiz_dir();"
        "print(d); print(len(lrcourse.flashcard_deck().cards))"
    )
    done = installed.run("python", "-c", code, cwd=installed.folder("banks"))
    folder, cards = done.stdout.split()
    assert Path(folder).is_relative_to(installed.venv), folder
    assert Path(folder).name == "banks"
    assert int(cards) > 0


def test_quiz_verify_and_list(installed: Installed):
    here = installed.folder("quiz")
    verify = installed.run("lrcourse", "quiz", "verify", cwd=here)
    assert "problem" not in verify.stderr
    listing = installed.run("lrcourse", "quiz", "list", cwd=here)
    ids = [line.split()[1] for line in listing.stdout.splitlines()]
    assert len(ids) == len(set(ids)) > 100
    assert "lr-basics.one-sgd-step" in ids


def test_missing_banks_fail_loudly(installed: Installed):
    here = installed.folder("no-banks")
    env = {**installed.env, "LRCOURSE_QUIZ_DIR": str(here)}
    done = subprocess.run(
        [str(installed.venv / "bin" / "lrcourse"), "quiz", "list"],
        cwd=here,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert str(here) in done.stderr and "no quiz bank files" in done.stderr


def test_assign_grade_export(installed: Installed):
    here = installed.folder("instructor")
    questions = "lr-basics.where-lr-is-applied,lr-basics.one-sgd-step"
    installed.run("lrcourse", "assign", "hw1", "--questions", questions, cwd=here)
    notebook = nbformat.read(here / "assignments/hw1/release/hw1.ipynb", as_version=4)
    answers = {
        "lr-basics.where-lr-is-applied": 'answer = "step"\n',
        "lr-basics.one-sgd-step": "answer = 1.6\n",
    }
    for cell in notebook.cells:
        meta = cell.metadata.get("lrcourse", {})
        if meta.get("role") == "answer":
            cell.source = answers[meta["question"]]
    (here / "downloads").mkdir()
    nbformat.write(notebook, here / "downloads/alice.ipynb")
    grade = installed.run(
        "lrcourse",
        "grade",
        "downloads",
        "--assignment",
        "assignments/hw1",
        "--no-progress",
        cwd=here,
    )
    assert "mean 2.00 / 2 over 1 student(s)" in grade.stdout
    installed.run("lrcourse", "export", "hw1", cwd=here)
    moodle = (here / "export/grades-moodle.csv").read_text().splitlines()
    assert moodle == ["Username,hw1,Maximum", "alice,2,2"]
    assert (here / "export/grades-canvas.csv").read_text().splitlines()[2].endswith(",2")


def test_every_notebook_alone_in_an_empty_folder_passes_strict_nbval(installed: Installed):
    """What Colab does: one notebook, no clone beside it; the stored outputs must come out again."""
    area = installed.folder("notebooks")
    copies = []
    for notebook in NOTEBOOKS:
        folder = area / notebook.stem
        folder.mkdir()
        copies.append(shutil.copy(notebook, folder))
    sanitize = shutil.copy(ROOT / "tests" / "nbval_sanitize.cfg", installed.work / "sanitize.cfg")
    jobs = os.environ.get("LRCOURSE_NBVAL_JOBS", "2")
    env = {**installed.env, "MKL_CBWR": "COMPATIBLE"}
    command = [
        str(installed.venv / "bin" / "pytest"),
        "-p",
        "no:cacheprovider",
        "-W",
        "error",
        "--nbval",
        "--nbval-sanitize-with",
        str(sanitize),
        "--nbval-current-env",
        "-n",
        jobs,
        "--dist",
        "loadfile",
        *map(str, copies),
    ]
    done = subprocess.run(command, cwd=area, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-8000:] + done.stderr[-2000:]
    assert (
        " passed" in done.stdout.splitlines()[-1] and "skipped" not in done.stdout.splitlines()[-1]
    )
    leftovers = sorted(
        str(p.relative_to(area)) for p in area.rglob("*") if p.is_file() and p.suffix != ".ipynb"
    )
    print(
        f"\n{len(copies)} notebooks passed strict nbval from the wheel; files they left: {leftovers}"
    )

"""The package's layers hold, and the check that enforces them would catch an upward import.

``make lint`` runs ``lint-imports`` with the contracts in ``pyproject.toml``; these tests run the
same tool so a broken contract fails here too, and prove on a copy of the package that an arrow
pointing up (the engine importing the grader) or a sandbox that knows its caller is reported.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(project)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=project, env=env, capture_output=True, text=True
    )


def _copy_of_the_package(tmp_path: Path) -> Path:
    shutil.copytree(
        ROOT / "lrcourse", tmp_path / "lrcourse", ignore=shutil.ignore_patterns("static")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_package_keeps_every_contract():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "upward_import", "contract"),
    [
        ("trace.py", "import lrcourse.grading.gradebook", "Arrows point down"),
        ("sandbox/pool.py", "import lrcourse.quiz.labs", "knows none of them"),
        ("train/tasks.py", "import lrcourse.explorers.model", "Arrows point down"),
        ("train/loop.py", "import lrcourse.train.runs", "No import cycles"),
    ],
)
def test_an_import_against_the_design_is_reported(tmp_path, module, upward_import, contract):
    project = _copy_of_the_package(tmp_path)
    target = project / "lrcourse" / module
    target.write_text(target.read_text() + f"\n{upward_import}  # added by the test\n")
    result = _lint_imports(project)
    assert result.returncode != 0
    summary = result.stdout.split("Contracts\n")[1].split("Contracts:")[0]  # the one-line verdicts
    verdict = summary[summary.index(contract) :]
    assert (
        verdict.index("BROKEN") < verdict.index("KEPT")
        if "KEPT" in verdict
        else "BROKEN" in verdict
    )

"""The release files agree with each other and with their formats' schemas.

One version (pyproject) in CITATION.cff, CHANGELOG.md and the notebooks' first cell; one repository
address in pyproject, _config.yml and CITATION.cff; the publish workflow and CITATION.cff valid
against the schemas check-jsonschema ships (no network); the exact pins in requirements.txt inside
the package's declared ranges; and a clear refusal on a Python that is not 3.11.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
VERSION = PROJECT["version"]
WORKFLOW = ROOT / ".github/workflows/publish.yml"
CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")


def pins(path: Path) -> dict[str, str]:
    """Return ``name -> version`` of the ``name==version`` lines of a requirements file."""
    found = {}
    for line in path.read_text().splitlines():
        if "==" in line and not line.startswith(("#", "-")):
            name, version = line.split("==")
            found[name.strip().lower().replace("_", "-")] = version.strip()
    return found


def validate(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    command = [str(CHECK_JSONSCHEMA), "--builtin-schema", schema, str(path)]
    return subprocess.run(command, capture_output=True, text=True)


def test_the_publish_workflow_is_a_valid_github_workflow():
    done = validate("vendor.github-workflows", WORKFLOW)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_workflow_check_catches_a_broken_workflow(tmp_path):
    broken = yaml.safe_load(WORKFLOW.read_text())
    del broken["jobs"]["book"]["runs-on"]
    (tmp_path / "publish.yml").write_text(yaml.safe_dump(broken))
    assert validate("vendor.github-workflows", tmp_path / "publish.yml").returncode != 0


def test_the_workflow_builds_the_book_with_the_strict_make_target():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    runs = [step.get("run", "") for step in workflow["jobs"]["book"]["steps"]]
    assert "make book-strict" in runs
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^book-strict:.*\n\t.*--warningiserror", makefile, re.M)
    setup = [s for s in workflow["jobs"]["book"]["steps"] if "setup-python" in s.get("uses", "")]
    assert setup[0]["with"]["python-version"] == "3.11"


def test_citation_is_valid_and_names_this_release():
    done = validate("vendor.citation-file-format", ROOT / "CITATION.cff")
    assert done.returncode == 0, done.stdout + done.stderr
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert str(citation["version"]) == VERSION
    assert "CC-BY-4.0" in citation["license"]
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert f"## [{VERSION}] - {citation['date-released']}" in changelog


def test_every_release_in_the_changelog_says_what_happened_to_question_ids():
    sections = re.split(r"^## ", (ROOT / "CHANGELOG.md").read_text(), flags=re.M)[1:]
    assert sections[0].startswith("[Unreleased]")
    assert any(s.startswith(f"[{VERSION}]") for s in sections)
    for section in sections:
        assert "### Question ids" in section, section.splitlines()[0]


def test_one_repository_address():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    url = config["repository"]["url"]
    assert PROJECT["urls"]["Source"] == citation["repository-code"] == url
    assert config["html"]["use_repository_button"] is True
    buttons = config["launch_buttons"]
    assert buttons["colab_url"].startswith("https://") and buttons["binderhub_url"].startswith(
        "https://"
    )


def test_binder_gets_the_cpu_build_of_the_pinned_torch():
    binder = (ROOT / "binder/requirements.txt").read_text()
    torch = pins(ROOT / "requirements.txt")["torch"]
    assert f"torch=={torch}+cpu" in binder.splitlines()
    assert "-r ../requirements.txt" in binder.splitlines()
    assert (ROOT / "binder/runtime.txt").read_text().strip() == "python-3.11"
    assert os.access(ROOT / "binder/postBuild", os.X_OK)


def test_the_exact_pins_lie_inside_the_declared_ranges():
    pinned = pins(ROOT / "requirements.txt")
    for line in PROJECT["dependencies"]:
        requirement = Requirement(line)
        version = pinned[requirement.name.lower().replace("_", "-")]
        assert requirement.specifier.contains(Version(version)), f"{line} vs {version}"


def test_only_python_311_is_declared():
    from packaging.specifiers import SpecifierSet

    supported = SpecifierSet(PROJECT["requires-python"])
    assert [v for v in ("3.10", "3.11", "3.12", "3.13") if supported.contains(v + ".0")] == ["3.11"]
    assert "Programming Language :: Python :: 3.11" in PROJECT["classifiers"]


@pytest.mark.parametrize("version", ["3.10", "3.12"])
def test_make_refuses_another_python_with_what_to_do(tmp_path, version):
    shim = tmp_path / "python3"
    shim.write_text(f"#!/bin/sh\necho {version}\n")
    shim.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["make", "-n", "test"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode != 0
    assert f"lrcourse needs Python 3.11 (python3 is {version})" in done.stderr
    assert "3.12/3.13" in done.stderr

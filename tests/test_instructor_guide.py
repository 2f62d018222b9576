"""The instructor guide's commands work as written: replay them in an empty folder, compare outputs.

The page is a script in disguise. In order: a fenced block whose first line is ``# file: <path>``
is written to that path (without that line); a ``bash`` block is run and must exit 0, or the
status its first line names (``# exit status: 1``); a ``text`` block right after a ``bash`` block
is that command's expected stdout (compared after blanking timings and clock times). Run with
the course's ``.venv`` on PATH, as the guide tells instructors to.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "book" / "instructor-guide.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.DOTALL | re.MULTILINE)
TIMING = re.compile(r"\d+(\.\d+)? s \(\d+(\.\d+)? submissions/s\)")
CLOCK = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")
EXIT_STATUS = re.compile(r"^# exit status: (\d+)\n")


@dataclass(frozen=True)
class Block:
    language: str
    text: str


def guide_blocks(text: str) -> list[Block]:
    """Return the top-level fenced blocks of the guide, in order."""
    return [Block(match[1], match[2]) for match in FENCE.finditer(text)]


def _normalise(output: str) -> str:
    lines = [
        CLOCK.sub("<time>", TIMING.sub("<timing>", line.rstrip()))
        for line in output.strip().splitlines()
    ]
    return "\n".join(lines)


def test_guide_blocks_are_found():
    blocks = guide_blocks(GUIDE.read_text(encoding="utf-8"))
    commands = [b.text for b in blocks if b.language == "bash"]
    for step in ("lrcourse assign", "lrcourse grade", "lrcourse gradebook", "lrcourse export"):
        assert any(command.startswith(step) for command in commands), step
    assert any(b.text.startswith("# file: ") for b in blocks)


@pytest.mark.slow
def test_every_command_of_the_guide_runs_and_prints_what_the_guide_shows(tmp_path):
    blocks = guide_blocks(GUIDE.read_text(encoding="utf-8"))
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    env.pop("LRCOURSE_QUIZ_DIR", None)
    last_stdout: str | None = None
    compared = 0
    for block in blocks:
        if block.text.startswith("# file: "):
            path = tmp_path / block.text.splitlines()[0].removeprefix("# file: ").strip()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(block.text.split("\n", 1)[1], encoding="utf-8")
            last_stdout = None
        elif block.language == "bash":
            done = subprocess.run(
                ["bash", "-e", "-o", "pipefail", "-c", block.text],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            expected = EXIT_STATUS.match(block.text)
            status = int(expected[1]) if expected else 0
            assert done.returncode == status, f"{block.text}\n{done.stdout}\n{done.stderr}"
            last_stdout = done.stdout
        elif block.language == "text" and last_stdout is not None:
            assert _normalise(last_stdout) == _normalise(block.text), block.text[:80]
            compared += 1
            last_stdout = None
    assert compared >= 8

"""The sandbox run by an ordinary user: hiding holds and hostile code cannot reach the grader.

Instructors usually grade as themselves, not as root. Then the sandbox server enters an
unprivileged user namespace (isolation ``"namespace"``), where the student's code is root of that
namespace. These tests run ``unprivileged_probe.py`` as ``nobody`` (the test itself must be root
to switch users, as CI is) in a private mount namespace where the interpreter is reachable even if
it lives in root's closed home.
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

from lrcourse.sandbox._zygote import _blocking_ancestor

PROBE = Path(__file__).with_name("unprivileged_probe.py")
ROOT = Path(__file__).resolve().parents[2]
NOBODY = 65534

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None or shutil.which("unshare") is None,
    reason="switching to an ordinary user needs root and util-linux (setpriv, unshare), as in CI",
)


def _closed_ancestor(path: str) -> tuple[str, str] | None:
    """Return (the first ancestor others may not enter, its child on the way to ``path``)."""
    ancestor = _blocking_ancestor(os.path.realpath(path))
    if ancestor is None:
        return None
    below = Path(os.path.realpath(path)).relative_to(ancestor).parts[0]
    return ancestor, str(Path(ancestor) / below)


def _as_nobody_script(command: list[str], home: Path) -> str:
    """Return a shell script that reopens a closed interpreter home, then runs as ``nobody``."""
    lines = ["set -eu"]
    closed = _closed_ancestor(sys.base_prefix)
    if closed is not None:  # e.g. pyenv under /root: show nobody that one folder, nothing else
        ancestor, child = closed
        lines += [
            "stage=$(mktemp -d)",
            f'mount --bind "{child}" "$stage"',
            f'mount -t tmpfs -o mode=0755 tmpfs "{ancestor}"',
            f'mkdir -p "{child}"',
            f'mount --bind "$stage" "{child}"',
        ]
    quoted = " ".join(f"'{part}'" for part in command)
    lines.append(
        f"exec setpriv --reuid={NOBODY} --regid={NOBODY} --clear-groups env -i HOME='{home}' "
        f"PATH=/usr/bin:/bin PYTHONPATH='{ROOT}' {quoted}"
    )
    return "\n".join(lines)


@pytest.fixture(scope="module")
def report() -> dict:
    secret = Path(tempfile.mkdtemp(prefix="lrcourse-secret-", dir="/tmp"))
    home = Path(tempfile.mkdtemp(prefix="lrcourse-home-", dir="/tmp"))
    try:
        secret.chmod(0o755)
        (secret / "key.yaml").write_text("answer: the-secret-key-5e1d\n")
        (secret / "key.yaml").chmod(0o644)
        (home / ".ssh").mkdir()
        (home / ".ssh" / "id_ed25519").write_text("PRIVATE KEY 93c1\n")
        for path in (home, home / ".ssh", home / ".ssh" / "id_ed25519"):
            os.chown(path, NOBODY, NOBODY)
        script = _as_nobody_script([sys.executable, str(PROBE), str(secret)], home)
        done = subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        shutil.rmtree(secret)
        shutil.rmtree(home)
    assert done.returncode == 0, f"the grader died (exit {done.returncode}): {done.stderr[-2000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_it_ran_as_an_ordinary_user_who_can_read_the_key_outside(report: dict) -> None:
    assert report["uid"] == NOBODY
    assert report["control"] == "answer: the-secret-key-5e1d"  # only the hiding protects it
    assert report["isolation"] == "namespace"


def test_the_key_is_hidden_from_student_code(report: dict) -> None:
    assert report["read-the-key"]["status"] == "error"
    assert "secret-key" not in report["read-the-key"]["stdout"]


def test_unmounting_what_hides_the_key_does_not_reveal_it(report: dict) -> None:
    assert "secret-key" not in report["unmount-then-read"]["stdout"]
    assert report["unmount-then-read"]["status"] == "error"


def test_the_users_home_folder_is_hidden(report: dict) -> None:
    assert report["private"] == "PRIVATE KEY 93c1"  # the grader, as this user, reads it
    assert report["read-my-home"]["status"] == "error"
    assert "PRIVATE KEY" not in report["read-my-home"]["stdout"]


def test_no_connection_leaves_the_run(report: dict) -> None:
    assert report["connect-out"]["status"] == "error"
    assert "Network is unreachable" in report["connect-out"]["reason"]


def test_the_users_own_files_stay_unchanged(report: dict) -> None:
    assert report["write-my-file"]["status"] == "error"  # /tmp is the run's own, empty
    assert "No such file or directory" in report["write-my-file"]["reason"]
    assert report["write-the-course"]["status"] == "error"
    assert "Read-only file system" in report["write-the-course"]["reason"]
    assert report["remount-then-write"]["status"] == "error"
    assert report["my-file-after"] == "the instructor's notes"


def test_killing_every_process_of_the_user_leaves_the_grader_running(report: dict) -> None:
    # The fixture asserts the grader finished; the next run in the same sandbox still works.
    assert report["after"] == {"status": "ok", "stdout": "42\n"}


def test_limits_still_hold(report: dict) -> None:
    for attack in ("fork-bomb", "infinite-loop"):
        assert report[attack]["status"] in ("timeout", "cpu-limit"), report[attack]
        assert report[attack]["wall_s"] < 2.0 + 1.0  # the limit + 1 s
    unguarded = report["fork-bomb-unguarded"]  # each copy meets the limit; only the run reports
    assert unguarded["status"] == "error", unguarded
    assert "BlockingIOError" in unguarded["reason"]

"""No run reaches outside itself: one test per isolation property, as root and as an ordinary user.

What bubblewrap's ``--unshare-all --new-session --dev /dev`` gives each process, each run gets
here (issue 23, items 5-7): its own IPC namespace (System V objects, POSIX queues and
``/dev/shm``, capped and gone with it), its own network namespace (no abstract socket of the
grader or of another run, no interface but a loopback that is down), a session of its own with
no terminal and a ``/dev`` without terminals, no kernel key calls, and a file-system view made
from an allow-list, so an instructor's folder is invisible wherever it lies.

``isolation_probe.py`` plants what an instructor's machine holds and runs hostile code (see its
docstring); it runs once as root and once as ``nobody`` (the course graded by an ordinary user,
in an unprivileged user namespace), each in a private mount namespace of util-linux's
``unshare``, so the test's plants under ``/usr`` or ``/opt`` are seen by the probe only.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.sandbox.test_sandbox_unprivileged import NOBODY, _as_nobody_script

PROBE = Path(__file__).with_name("isolation_probe.py")
ROOT = Path(__file__).resolve().parents[2]
MODES = ("root", "unprivileged")
#: The folders an instructor might work in (the guide: "wherever they live").
PLANT_IN = ("/usr/local/share", "/opt", "/var/tmp", "/tmp", "$HOME")
#: bubblewrap's --dev, less its terminals (tty, pts, ptmx) and core; shm is the run's own.
DEVICES = ["fd", "full", "null", "random", "shm", "stderr", "stdin", "stdout", "urandom", "zero"]

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None or shutil.which("unshare") is None,
    reason="planting under /usr and switching to an ordinary user need root and util-linux, as in CI",
)


def _plant(tag: str, home: Path, owner: int) -> list[str]:
    """Make an instructor's work folder in each place of ``PLANT_IN``; return the roster files."""
    files = []
    for place in PLANT_IN:
        folder = Path(place.replace("$HOME", str(home))) / f"instructor-{tag}"
        folder.mkdir(parents=True)
        roster = folder / "roster.csv"
        roster.write_text(f"alice,alice@example.edu,{tag}\n")
        for path in (folder, roster):
            os.chown(path, owner, owner)
        files.append(str(roster))
    return files


@pytest.fixture(scope="module", params=MODES)
def report(request: pytest.FixtureRequest) -> dict:
    mode = request.param
    tag = secrets.token_hex(6)
    owner = 0 if mode == "root" else NOBODY
    home = (
        Path("/root") if mode == "root" else Path(tempfile.mkdtemp(prefix="lrc-home-", dir="/tmp"))
    )
    master, slave = os.openpty()  # the grader's terminal: a run must not write into it
    tty = os.ttyname(slave)
    os.chown(tty, owner, -1)
    planted = []
    try:
        if mode != "root":
            os.chown(home, NOBODY, NOBODY)
        planted = _plant(tag, home, owner)
        command = [
            sys.executable,
            str(PROBE),
            json.dumps({"tag": tag, "tty": tty, "planted": planted}),
        ]
        if mode == "root":
            script = f"exec env -i HOME=/root PATH=/usr/bin:/bin PYTHONPATH='{ROOT}' " + " ".join(
                f"'{part}'" for part in command
            )
        else:
            script = _as_nobody_script(command, home)
        done = subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
            capture_output=True,
            text=True,
            timeout=240,
        )
        os.set_blocking(master, False)
        try:
            screen = os.read(master, 65536).decode(errors="replace")
        except BlockingIOError:
            screen = ""
    finally:
        os.close(slave)
        os.close(master)
        for roster in planted:
            shutil.rmtree(Path(roster).parent, ignore_errors=True)
        if mode != "root":
            shutil.rmtree(home, ignore_errors=True)
    assert done.returncode == 0, f"the probe failed (exit {done.returncode}): {done.stderr[-3000:]}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result.update(mode=mode, screen=screen, tag=tag, planted=planted)
    assert result["isolation"] == ("namespace+uid" if mode == "root" else "namespace")
    for name, run in result["runs"].items():
        assert run["status"] == "ok", (mode, name, run["reason"])
    return result


def _lookers(report: dict) -> dict[str, dict]:
    """Return what run B (beside run A) and run C (after it, on its server) observed."""
    return {name: report["runs"][name]["value"] for name in ("B", "C", "after_hog")}


def test_runs_made_their_things_so_the_lookers_had_something_to_find(report: dict) -> None:
    made = report["runs"]["A"]["value"]
    assert {made[k] for k in ("shm", "sem", "msg", "mqueue", "abstract")} == {"ok"}, made
    assert report["control_planted"] == [f"alice,alice@example.edu,{report['tag']}\n"] * 5


def test_system_v_ipc_of_the_grader_and_of_other_runs_is_out_of_reach(report: dict) -> None:
    for name, seen in _lookers(report).items():
        assert seen["shm_grader"] == "ENOENT", (report["mode"], name)  # the grader's 0600 segment
        assert seen["shm_run"] == seen["sem_run"] == seen["msg_run"] == "ENOENT", (name, seen)
        assert seen["sysv"] == {"shm": [], "sem": [], "msg": []}, (name, seen["sysv"])
    assert report["grader_sees_run_A"]["shm"] == "ENOENT"  # nor a run's in the grader's


def test_posix_shared_memory_and_queues_are_the_runs_own(report: dict) -> None:
    for name, seen in _lookers(report).items():
        assert seen["mqueue_run"] == "ENOENT", (name, seen)
        assert seen["dev_shm"] == [], (name, seen["dev_shm"])
    assert report["grader_sees_run_A"]["dev_shm"] == "False"


def test_each_run_has_its_own_ipc_network_uts_pid_mount_and_cgroup_namespaces(
    report: dict,
) -> None:
    # A and B ran at the same time (a namespace's number is reused once it is freed: run C,
    # after A, may get A's numbers; what C finds is checked by the other tests).
    a, b = report["runs"]["A"]["value"]["ns"], report["runs"]["B"]["value"]["ns"]
    for kind in ("ipc", "net", "uts", "pid", "mnt", "cgroup"):
        assert a[kind] != b[kind], (kind, a, b)
        assert os.readlink(f"/proc/self/ns/{kind}") not in (a[kind], b[kind])


def test_no_abstract_socket_or_service_is_reachable(report: dict) -> None:
    for name, seen in _lookers(report).items():
        assert seen["abstract_grader"] == "ECONNREFUSED", (name, seen)  # not in this namespace
        assert seen["abstract_run"] == "ECONNREFUSED", (name, seen)
        assert seen["tcp_grader"] == "ENETUNREACH", (name, seen)
        assert seen["interfaces"] == ["lo"], (name, seen["interfaces"])
    assert report["grader_sees_run_A"]["abstract"] == "ECONNREFUSED"


def test_a_run_cannot_write_into_the_graders_terminal(report: dict) -> None:
    assert "GRADER-CONTROL" in report["screen"]  # the grader itself could, so the check can fail
    assert "FORGED" not in report["screen"]
    for name, seen in _lookers(report).items():
        assert seen["open_tty"] == "ENOENT", (name, seen["open_tty"])
        assert seen["open_dev_tty"] == seen["open_pts"] == seen["ptmx"] == "ENOENT", (name, seen)


def test_a_run_is_in_a_session_of_its_own_without_a_terminal(report: dict) -> None:
    for name, seen in _lookers(report).items():
        assert seen["session_leader"] is True, name
        assert seen["tty_nr"] == 0, (name, seen["tty_nr"])  # no controlling terminal
        assert seen["isatty"] == [False] * 4, name
        # fds 0-2 are pipes; fd 3 was the report channel until the harness moved it to a drawn
        # number (then it is closed): either way, no descriptor takes a keystroke.
        assert seen["tiocsti"][:3] == ["ENOTTY"] * 3, (name, seen["tiocsti"])
        assert seen["tiocsti"][3] in ("ENOTTY", "EBADF"), (name, seen["tiocsti"])


def test_dev_holds_only_the_harmless_devices(report: dict) -> None:
    for name, seen in _lookers(report).items():
        assert seen["dev"] == DEVICES, (name, seen["dev"])


def test_kernel_keys_are_out_of_reach(report: dict) -> None:
    made = report["runs"]["A"]["value"]
    assert made["add_key_user"] == made["add_key_session"] == "EPERM", made
    for name, seen in _lookers(report).items():
        assert seen["keyctl_search"] == "EPERM", (name, seen)  # the grader's key
        assert seen["add_key_user"] == seen["add_key_session"] == "EPERM", (name, seen)
        assert seen["proc_keys"] == "", (name, seen["proc_keys"])
    assert report["grader_finds_run_key"] is False


def test_shared_memory_is_capped_and_dies_with_the_run(report: dict) -> None:
    hog = report["runs"]["hog"]["value"]
    assert hog["segments_mb"] <= 8, hog  # Limits.temp_bytes (8 MB), as /dev/shm
    assert hog["why"] == "ENOSPC", hog
    assert hog["sysv_shm"] == hog["segments_mb"]
    assert report["runs"]["after_hog"]["value"]["sysv"]["shm"] == []  # nothing outlived it


def test_instructor_folders_anywhere_are_invisible(report: dict) -> None:
    for name, seen in _lookers(report).items():
        assert set(seen["planted"].values()) == {"ENOENT"}, (name, seen["planted"])
        assert seen["planted_folders"] == [], name
        assert seen["found"] == [], (name, seen["found"])


def test_a_run_has_no_capabilities_and_cannot_make_a_user_namespace(report: dict) -> None:
    # An ordinary user's run is root of its user namespace: without the fence it would hold
    # every capability there, and could make namespaces to gain them again.
    for name, seen in _lookers(report).items():
        assert seen["caps"] == [0, 0, 0, 0], (name, seen["caps"])
        assert seen["unshare_user"] == seen["unshare_net"] == "EPERM", (name, seen)

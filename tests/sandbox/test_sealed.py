"""Each run is sealed: nothing of other runs in its memory or temp folders, none of the host's."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from lrcourse.sandbox.pool import Limits, Probe, Sandbox

LIMITS = Limits(wall_s=5.0, cpu_s=3.0, memory_mb=256, processes=8, output_bytes=10_000)
SEALED = ("namespace+uid", "namespace")

#: Plants a marker made at run time in the run's memory, output, result and temp folders.
PLANT = """
import os, secrets
MARK = 'LRC' + 'MARK' + secrets.token_hex(12) + 'Z'
kept = [MARK * 64]
print(MARK)
for folder in ('/tmp', '/var/tmp', '/dev/shm', os.getcwd()):
    with open(os.path.join(folder, 'plant-' + MARK), 'w') as f:
        f.write(MARK)
def answer():
    return MARK
"""
#: Plants its own marker, then scans its private memory and temp folders for any marker.
SCAN = (
    PLANT
    + """
import ctypes, re
def answer():
    found = set()
    for folder in ('/tmp', '/var/tmp', '/dev/shm', os.getcwd()):
        # only planted files: a course or interpreter installed under /tmp is bound back there
        found.update(n[len('plant-'):] for n in os.listdir(folder) if n.startswith('plant-'))
    pattern = re.compile(rb'LRCMARK[0-9a-f]{24}Z')
    for line in open('/proc/self/maps'):
        fields = line.split()
        if fields[1] != 'rw-p' or (len(fields) > 5 and fields[5] != '[heap]'):
            continue
        low, high = (int(x, 16) for x in fields[0].split('-'))
        for start in range(low, high, 1 << 24):
            chunk = ctypes.string_at(start, min(1 << 24, high - start))
            if b'LRCMARK' in chunk:
                found.update(m.decode() for m in pattern.findall(chunk))
    return {'own': MARK, 'found': sorted(found)}
"""
)


@pytest.fixture(scope="module")
def box():
    with Sandbox() as sandbox:
        if sandbox.ensure_ready() not in SEALED:
            pytest.skip(
                f"sealed runs need namespaces (root, or user namespaces): {sandbox.isolation}"
            )
        yield sandbox


def test_a_run_finds_nothing_of_earlier_runs_in_its_memory_or_temp_folders(box: Sandbox) -> None:
    planted = [box.run(PLANT, Probe("call", "answer"), LIMITS) for _ in range(3)]
    assert all(r.ok for r in planted), [r.reason for r in planted]
    marks = {r.value for r in planted}
    assert len(marks) == 3 and all(r.value in r.stdout for r in planted), "own markers, printed"
    scan = box.run(SCAN, Probe("call", "answer"), LIMITS)
    assert scan.ok, scan.reason
    assert scan.value["own"] in scan.value["found"], "the scan must see the run's own marker"
    assert scan.value["found"] == [scan.value["own"]]
    assert not marks & set(scan.value["found"])


def test_a_run_sees_only_its_own_processes(box: Sandbox) -> None:
    source = "import os\ndef answer():\n    return sorted(p for p in os.listdir('/proc') if p.isdigit())\n"
    result = box.run(source, Probe("call", "answer"), LIMITS)
    assert result.value == ["1"]


def test_private_temp_folders_are_capped(box: Sandbox) -> None:
    roomy = Limits(wall_s=5.0, cpu_s=3.0, memory_mb=256, file_bytes=64 << 20, temp_bytes=1 << 20)
    source = "open('/dev/shm/hog', 'wb').write(b'x' * (4 << 20))\n"
    result = box.run(source, Probe(), roomy)
    assert result.status == "error" and "No space left on device" in result.reason


def test_the_world_is_read_only_and_the_graders_folders_are_gone(
    box: Sandbox, tmp_path: Path
) -> None:
    # tmp_path was made after the server sealed its world: a stand-in for the instructor's files.
    (tmp_path / "grades.csv").write_text("secret-grade-41c7\n")
    package = Path(__file__).resolve().parents[2] / "lrcourse"
    source = (
        "import os\nout = []\n"
        f"for path in ({str(tmp_path / 'grades.csv')!r}, {str(package / 'x.py')!r}, '/etc/x'):\n"
        "    try:\n        open(path, 'a').write('x')\n        out.append('wrote')\n"
        "    except OSError as exc:\n        out.append(exc.strerror)\n"
        "def answer():\n    return out\n"
    )
    result = box.run(source, Probe("call", "answer"), LIMITS)
    assert result.value == [
        "No such file or directory",
        "Read-only file system",
        "Read-only file system",
    ]
    assert (tmp_path / "grades.csv").read_text() == "secret-grade-41c7\n"
    assert not (package / "x.py").exists()


def test_nothing_a_run_writes_reaches_the_hosts_temp_folders(box: Sandbox) -> None:
    name = f"lrcourse-sealed-test-{os.getpid()}"
    source = "".join(
        f"open('{d}/{name}', 'w').write('x')\n" for d in ("/tmp", "/var/tmp", "/dev/shm")
    )
    assert box.run(source, Probe(), LIMITS).ok
    assert not [d for d in ("/tmp", "/var/tmp", "/dev/shm") if Path(d, name).exists()]


def test_a_course_installed_under_tmp_still_runs_sealed(tmp_path: Path) -> None:
    # /tmp is hidden from the server and replaced in each run: what it needs from there comes back.
    import shutil
    import subprocess
    import sys

    copy = Path(tempfile.mkdtemp(prefix="lrcourse-under-tmp-", dir="/tmp"))
    try:
        shutil.copytree(Path(__file__).resolve().parents[2] / "lrcourse", copy / "lrcourse")
        script = (
            "from lrcourse.sandbox.pool import Limits, Probe, Sandbox\n"
            "import lrcourse, os\n"
            "source = ('import os, lrcourse.sandbox\\n'\n"
            "    'def answer():\\n'\n"
            "    '    try:\\n'\n"
            '    \'        open(os.path.join(os.path.dirname(lrcourse.sandbox.__file__), "x"), "w")\\n\'\n'
            "    '    except OSError as exc:\\n'\n"
            "    '        return [lrcourse.sandbox.__file__, exc.strerror, sorted(os.listdir(\"/tmp\"))]\\n')\n"
            "with Sandbox() as box:\n"
            "    result = box.run(source, Probe('call', 'answer'), Limits())\n"
            "    print(box.isolation, result.status, result.reason, result.value)\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", script],
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(copy)},
            cwd=copy,  # the copy, not this checkout, is the course that runs
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        shutil.rmtree(copy)
    assert done.returncode == 0, done.stderr[-2000:]
    isolation, status, _ = done.stdout.split(" ", 2)
    if isolation not in SEALED:
        pytest.skip(f"sealed runs need namespaces: {isolation}")
    assert status == "ok", done.stdout
    assert str(copy / "lrcourse") in done.stdout and "Read-only file system" in done.stdout
    # The run's own /tmp holds only the course, and the interpreter when it too lives under /tmp
    # (a checkout cloned there): both are bound back read-only, nothing else of the host's /tmp.
    prefixes = {Path(os.path.realpath(p)) for p in (sys.prefix, sys.base_prefix)}
    under_tmp = {p.relative_to("/tmp").parts[0] for p in prefixes if p.is_relative_to("/tmp")}
    assert str(sorted({copy.name, *under_tmp})) in done.stdout

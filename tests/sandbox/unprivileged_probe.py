"""Grade hostile code with the sandbox as an ordinary user (not root); print what happened as JSON.

Run by ``test_sandbox_unprivileged.py`` under ``setpriv`` as ``nobody``, with ``$HOME`` set to a
home folder made for the test. Argument: a folder the sandbox must hide, holding ``key.yaml``,
which this user can read (so only the hiding protects it).
"""

import json
import os
import socket
import sys
import tempfile

from lrcourse.sandbox.pool import Limits, Probe, Sandbox

secret = sys.argv[1]
key_file = os.path.join(secret, "key.yaml")
private_file = os.path.join(os.environ["HOME"], ".ssh", "id_ed25519")
listener = socket.create_server(("127.0.0.1", 0))  # a service of this machine
port = listener.getsockname()[1]
own = tempfile.mkdtemp(prefix="lrcourse-own-", dir="/tmp")  # a folder of this user's, not hidden
own_file = os.path.join(own, "notes.txt")
with open(own_file, "w") as f:
    f.write("the instructor's notes")
LIMITS = Limits(wall_s=2.0, cpu_s=1.0, memory_mb=256, processes=8, output_bytes=10_000)
ATTACKS = {
    "read-the-key": f"print(open({key_file!r}).read())\n",
    # Root inside its user namespace, the code may try to remove what hides the key.
    "unmount-then-read": (
        "import ctypes\n"
        f"ctypes.CDLL(None).umount2({secret!r}.encode(), 2)\n"
        f"print(open({key_file!r}).read())\n"
    ),
    # The same user as the grader: without a process namespace this would kill the grader.
    "kill-every-process": "import os, signal\nos.kill(-1, signal.SIGKILL)\n",
    # Runs as this very user: it may read their private files, or reach the network.
    "read-my-home": f"print(open({private_file!r}).read())\n",
    "connect-out": f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1)\n",
    # ... or change their files, or make a folder writable again.
    "write-my-file": f"open({own_file!r}, 'w').write('changed')\n",
    # The course's package is visible (the server runs from it) but read-only.
    "write-the-course": (
        "import lrcourse.sandbox, os\n"
        "open(os.path.join(os.path.dirname(lrcourse.sandbox.__file__), 'x.py'), 'w')\n"
    ),
    "remount-then-write": (
        "import ctypes\n"
        f"ctypes.CDLL(None).mount(None, {own!r}.encode(), None, 32 | 4096, None)\n"
        f"open({own_file!r}, 'w').write('changed')\n"
    ),
    "fork-bomb": "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
    "fork-bomb-unguarded": "import os\nwhile True:\n    os.fork()\n",
    "infinite-loop": "while True:\n    pass\n",
}

with open(key_file) as f, open(private_file) as g:
    report: dict = {"uid": os.getuid(), "control": f.read().strip(), "private": g.read().strip()}
with Sandbox(hide=[secret]) as box:
    report["isolation"] = box.ensure_ready()
    for name, source in ATTACKS.items():
        result = box.run(source, Probe(), LIMITS)
        report[name] = {
            "status": result.status,
            "stdout": result.stdout,
            "reason": result.reason,
            "wall_s": result.wall_s,
        }
    after = box.run("print(6 * 7)\n", Probe(), LIMITS)
    report["after"] = {"status": after.status, "stdout": after.stdout}
with open(own_file) as f:
    report["my-file-after"] = f.read()
print(json.dumps(report))

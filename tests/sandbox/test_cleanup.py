"""Removing what a run left never fails: deep trees, mode-000 folders, many files, sockets, fifos."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from lrcourse.sandbox._cleanup import remove_tree


def _deep_tree(root: Path, depth: int) -> None:
    """Make ``depth`` nested folders (far past PATH_MAX and Python's recursion limit)."""
    fd = os.open(root, os.O_DIRECTORY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = inner
    finally:
        os.close(fd)


def test_remove_tree_survives_everything_a_run_can_leave(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    left = tmp_path / "run"
    left.mkdir()
    try:
        _fill(left, outside, tmp_path)
    finally:
        assert remove_tree(left) == []  # also when making the tree failed: pytest's own
        # cleanup (shutil.rmtree) would die of RecursionError on what is left
    assert not left.exists()
    assert outside.read_text() == "keep me"  # links are removed, never followed


def _fill(left: Path, outside: Path, tmp_path: Path) -> None:
    """Leave in ``left`` what a hostile run could."""
    _deep_tree(left, 3000)
    for n in range(3):
        locked = left / f"locked{n}" / "inner"
        locked.mkdir(parents=True)
        (locked / "file").write_text("x")
        locked.chmod(0)
        locked.parent.chmod(0)
    many = left / "many"
    many.mkdir()
    for n in range(20_000):
        (many / f"f{n}").touch()
    os.mkfifo(left / "fifo")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(left / "sock"))
    (left / "link").symlink_to(outside)
    (left / "dir-link").symlink_to(tmp_path)
    listener.close()  # the socket file stays


def test_remove_tree_of_nothing_or_a_file_is_quiet(tmp_path: Path) -> None:
    assert remove_tree(tmp_path / "absent") == []
    (tmp_path / "file").write_text("x")
    assert remove_tree(tmp_path / "file") == []
    assert not (tmp_path / "file").exists()

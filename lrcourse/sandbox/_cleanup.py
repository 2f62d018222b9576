"""Remove a folder whatever a run left in it, without recursion and without ever raising.

A run's folder may hold a tree deeper than Python's recursion limit and than ``PATH_MAX``,
folders with mode 000, a million files, sockets and fifos (``shutil.rmtree`` once died of
``RecursionError`` there). :func:`remove_tree` walks it by descriptors, one folder open at a
time (down by name, back up by ``..``), never follows a link, never opens a file (so a fifo
cannot block it), makes folders writable where it must, and reports what it could not remove
instead of raising: cleanup never fails a grading run.

Standard library only: the sandbox server imports it.
"""

from __future__ import annotations

import contextlib
import os
import stat

_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW


def _open_child(name: str, parent: int) -> int | None:
    try:
        return os.open(name, _FOLDER, dir_fd=parent)
    except PermissionError:  # mode 000, and not root: make it ours again, then enter
        with contextlib.suppress(OSError):
            os.chmod(name, 0o700, dir_fd=parent)
        with contextlib.suppress(OSError):
            return os.open(name, _FOLDER, dir_fd=parent)
    except OSError:
        pass
    return None


def remove_tree(path: str | os.PathLike[str]) -> list[str]:
    """Remove ``path`` and everything below it; return the paths that could not be removed."""
    root = os.fspath(path)
    try:
        if not stat.S_ISDIR(os.lstat(root).st_mode):
            os.unlink(root)
            return []
        fd = os.open(root, _FOLDER)
    except FileNotFoundError:
        return []
    except OSError:
        return [root]
    names: list[str] = []  # the way down from ``root`` to the folder ``fd`` is
    failed: set[tuple[str, ...]] = set()
    while True:
        with contextlib.suppress(OSError):
            os.fchmod(fd, 0o700)
        child = None
        try:
            with os.scandir(fd) as entries:  # one at a time: a million files fit no list
                for entry in entries:
                    where = (*names, entry.name)
                    if where in failed:
                        continue
                    try:
                        is_folder = entry.is_dir(follow_symlinks=False)
                        if not is_folder:
                            os.unlink(entry.name, dir_fd=fd)
                            continue
                    except FileNotFoundError:
                        continue
                    except OSError:
                        failed.add(where)
                        continue
                    child = _open_child(entry.name, fd)
                    if child is None:
                        failed.add(where)
                        continue
                    names.append(entry.name)
                    break
        except OSError:
            failed.add(tuple(names))
        if child is not None:
            os.close(fd)
            fd = child
            continue
        if not names:
            os.close(fd)
            try:
                os.rmdir(root)
            except FileNotFoundError:
                pass
            except OSError:
                failed.add(())
            break
        try:
            parent = os.open("..", _FOLDER, dir_fd=fd)
        except OSError:
            os.close(fd)
            failed.add(tuple(names))
            break
        os.close(fd)
        fd = parent
        name = names.pop()
        try:
            os.rmdir(name, dir_fd=fd)
        except FileNotFoundError:
            pass
        except OSError:
            failed.add((*names, name))
    return [os.path.join(root, *where) for where in sorted(failed)]

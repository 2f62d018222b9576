"""Remove a folder whatever a run left in it, without recursion and without ever raising.

A run's folder may hold a tree deeper than Python's recursion limit, folders with mode 000,
a million files, sockets and fifos (``shutil.rmtree`` once died of ``RecursionError`` there).
:func:`remove_tree` walks it with an explicit stack, never follows a link, never opens a file
(so a fifo cannot block it), makes folders writable where it must, and reports what it could
not remove instead of raising: cleanup never fails a grading run.

Standard library only: the sandbox server imports it.
"""

from __future__ import annotations

import contextlib
import os
import stat


def remove_tree(path: str | os.PathLike[str]) -> list[str]:
    """Remove ``path`` and everything below it; return the paths that could not be removed."""
    root = os.fspath(path)
    failed: list[str] = []
    try:
        if not stat.S_ISDIR(os.lstat(root).st_mode):
            os.unlink(root)
            return failed
    except FileNotFoundError:
        return failed
    except OSError:
        return [root]
    stack = [(root, False)]  # (folder, its entries already pushed)
    while stack:
        folder, expanded = stack.pop()
        if expanded:
            try:
                os.rmdir(folder)
            except FileNotFoundError:
                pass
            except OSError:
                failed.append(folder)
            continue
        stack.append((folder, True))
        with contextlib.suppress(OSError):  # a mode-000 folder cannot be listed or emptied
            os.chmod(folder, 0o700)
        try:
            with os.scandir(folder) as entries:  # one at a time: a million files fit no list
                for entry in entries:
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append((entry.path, False))
                        else:
                            os.unlink(entry.path)
                    except FileNotFoundError:
                        pass
                    except OSError:
                        failed.append(entry.path)
        except OSError:
            failed.append(folder)
    return failed

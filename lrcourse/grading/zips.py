"""Zip files read from disk member by member, under caps: a zip bomb costs a bounded amount.

Canvas's "download submissions", Moodle's "download all" and a student's own zip inside them
are opened as files (never read whole), and only the members that may be hand-ins (notebooks,
and one level of nested zips) are unzipped, each under its cap, while one walk's budget of
members and bytes lasts. Every member not read (over a cap or the budget, encrypted, a path
leaving the zip) is a :class:`Finding` naming it: nothing is skipped without a word.
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO

#: A notebook larger than this is not read (the hand-in is flagged for review).
MAX_NOTEBOOK_BYTES = 5 * 1024 * 1024
#: A zip file larger than this is not opened (it is read from disk member by member).
MAX_ZIP_BYTES = 512 * 1024 * 1024
#: A student's zip inside a download larger than this (unzipped) is not opened.
MAX_NESTED_ZIP_BYTES = 64 * 1024 * 1024
#: One walk unzips at most this many members and this many bytes in all (zip bombs stop here).
MAX_ZIP_MEMBERS = 20_000
MAX_UNZIPPED_BYTES = 128 * 1024 * 1024
LITTER = (".ipynb_checkpoints", "__MACOSX", ".DS_Store")
OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


@dataclass(frozen=True)
class Finding:
    """Something a person should know about the folder: what kind, which name, and why."""

    kind: str  # unmatched | not-on-roster | odd-entry | missing | extra-file | resubmitted
    name: str
    detail: str

    def line(self) -> str:
        """Return the finding as one line of the grade summary."""
        return f"{self.kind:<13} {self.name}: {self.detail}"


@dataclass(frozen=True)
class Entry:
    """A regular file (or a zip member) found by the walk, before matching."""

    parts: tuple[str, ...]
    label: str
    data: bytes | None
    modified: datetime | None
    problem: str | None = None


def stamp(seconds: float) -> datetime | None:
    """Return a file time (seconds since the epoch) as a UTC datetime; None for 0."""
    return datetime.fromtimestamp(seconds, UTC) if seconds else None


def shown(name: str) -> str:
    """Return ``name`` as text any terminal, file or database takes (undecodable bytes escaped).

    ``os.scandir`` hands back a non-UTF-8 file name with lone surrogates in it; such a label
    could not be printed or stored, so it is written with backslash escapes instead.
    """
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


class Budget:
    """What one walk may still unzip: members and bytes (a zip bomb stops here, with a finding)."""

    def __init__(self) -> None:
        self.members = MAX_ZIP_MEMBERS
        self.bytes = MAX_UNZIPPED_BYTES


def _member_time(info: zipfile.ZipInfo) -> datetime | None:
    try:
        return datetime(*info.date_time, tzinfo=UTC)
    except (ValueError, OverflowError):  # month 0, day 0, hour 25: a date no clock wrote
        return None


def zip_entries(
    source: IO[bytes],
    label: str,
    budget: Budget,
    findings: list[Finding],
    nested: int = 0,
) -> Iterator[Entry]:
    """Yield the members of the zip ``source`` (a file object) one at a time, under caps.

    Members are read one by one and only while the walk's budget lasts; only ``.ipynb`` members
    (and, one level deep, ``.zip`` members) are unzipped at all. Whatever is not read (over the
    member or byte budget, encrypted, a path leaving the zip) is a finding, never silent.
    """
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        yield Entry((), label, None, None, f"not a readable zip file ({error})")
        return
    with archive:
        members = archive.infolist()
        if len(members) > budget.members:
            findings.append(
                Finding(
                    "zip-skipped",
                    label,
                    f"{len(members)} members; only the first {budget.members} were looked at",
                )
            )
            members = members[: budget.members]
        budget.members -= len(members)
        for info in members:
            if info.is_dir():
                continue
            inner = tuple(shown(p) for p in info.filename.split("/") if p)
            member_label = f"{label}:{shown(info.filename)}"
            if any(p in LITTER for p in inner) or not inner:
                continue
            if ".." in inner or info.filename.startswith("/"):
                yield Entry(inner, member_label, None, None, "a zip member path leaving the zip")
                continue
            modified = _member_time(info)
            name = inner[-1].lower()
            is_zip = name.endswith(".zip")
            if not (name.endswith(".ipynb") or is_zip):
                yield Entry(inner, member_label, None, modified)  # named, never unzipped
                continue
            cap = MAX_NESTED_ZIP_BYTES if is_zip else MAX_NOTEBOOK_BYTES
            problem = None
            if info.flag_bits & 0x1:
                problem = "an encrypted zip member (not unzipped)"
            elif is_zip and nested >= 1:
                problem = "a zip inside a zip inside the download (not unzipped)"
            elif info.file_size > cap:
                problem = f"the file is {info.file_size / 1e6:.1f} MB unzipped; over the {cap / 1e6:.0f} MB cap"
            elif info.file_size > budget.bytes:
                problem = "not unzipped: the download's unzip budget is spent (a zip bomb?)"
            if problem is not None:
                findings.append(Finding("zip-skipped", member_label, problem))
                yield Entry(inner, member_label, None, modified, problem)
                continue
            try:
                with archive.open(info) as handle:
                    content = handle.read(cap + 1)
            except (
                zipfile.BadZipFile,
                OSError,
                ValueError,
                NotImplementedError,
                RuntimeError,
                EOFError,
            ) as error:
                findings.append(
                    Finding("zip-skipped", member_label, f"cannot be unzipped ({error})")
                )
                yield Entry(inner, member_label, None, modified, f"cannot be unzipped ({error})")
                continue
            budget.bytes -= len(content)
            if len(content) > cap:
                problem = "over its size cap unzipped (the zip lied about its size)"
                findings.append(Finding("zip-skipped", member_label, problem))
                yield Entry(inner, member_label, None, modified, problem)
                continue
            if is_zip:  # a student's zip: its members' dates are theirs, the zip's is the LMS's
                for deeper in zip_entries(
                    io.BytesIO(content), member_label, budget, findings, nested + 1
                ):
                    yield Entry(
                        (*inner, *deeper.parts),
                        deeper.label,
                        deeper.data,
                        modified,
                        deeper.problem,
                    )
                continue
            yield Entry(inner, member_label, content, modified)


def open_zip(name: str, parent: int) -> tuple[IO[bytes] | None, float, str | None]:
    """Return an open file of the zip ``name`` (a regular file under the cap), or why not."""
    try:
        fd = os.open(name, OPEN_FLAGS, dir_fd=parent)
    except OSError as error:
        if error.errno == 40:
            return None, 0.0, "a symbolic link (not followed)"
        return None, 0.0, f"cannot be opened ({error.strerror})"
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        return None, info.st_mtime, "not a regular file (a FIFO, device or socket)"
    if info.st_size > MAX_ZIP_BYTES:
        os.close(fd)
        return None, info.st_mtime, f"the zip is {info.st_size / 1e6:.0f} MB; over the cap"
    return os.fdopen(fd, "rb"), info.st_mtime, None

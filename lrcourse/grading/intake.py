"""Find who handed in what: walk a submissions folder safely and match files to the roster.

The folder is untrusted. It is walked with directory file descriptors (``openat``), never
following a symbolic link, and a file is opened with ``O_NOFOLLOW | O_NONBLOCK`` and checked with
``fstat`` (a regular file, under the size cap) before one byte is read, so a symlink to another
student's work or to ``/dev/zero``, a FIFO or a device is reported, never read or waited on.
Zip files (Canvas's "download submissions", Moodle's "download all") are read in memory.

Names are matched to the class list (``Manifest.roster``) in three layouts:

* plain: ``<id>.ipynb`` or ``<id>/<any>.ipynb`` (the nearest file or folder name on the roster);
* Canvas: ``<login>[_late]_<user id>_<submission id>_<file name>``, matched by the Canvas user id,
  else by the login (the squashed sortable name, ``zhangwen``);
* Moodle: ``<Full Name>_<participant id>_assignsubmission_file_/<file name>``, matched by the
  participant id, else by the full name.

Nothing is skipped without a word: every file that matches nobody, every id not on the roster,
every odd entry (symlink, FIFO, device, too big, unreadable) and every roster student with no
hand-in becomes a :class:`Finding` with the name. Only ``.ipynb_checkpoints``, ``__MACOSX`` and
``.DS_Store`` (editor and archiver litter) are passed over.
"""

from __future__ import annotations

import io
import os
import re
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lrcourse.grading.manifest import Manifest, RosterEntry
from lrcourse.grading.roster import squashed, valid_id

#: A notebook larger than this is not read (the hand-in is flagged for review).
MAX_NOTEBOOK_BYTES = 5 * 1024 * 1024
#: A zip file larger than this is not opened.
MAX_ZIP_BYTES = 512 * 1024 * 1024
#: Folders deeper than this and folders with more entries than this are not walked further.
MAX_DEPTH = 8
MAX_ENTRIES = 20_000
LITTER = (".ipynb_checkpoints", "__MACOSX", ".DS_Store")
CANVAS_NAME = re.compile(
    r"^(?P<login>[^_/]+?)(?P<late>_late|_LATE)?_(?P<user>\d+)_(?P<submission>\d+)_(?P<file>.+)$"
)
MOODLE_FOLDER = re.compile(
    r"^(?P<name>.+?)_(?P<participant>\d+)_assignsubmission_(?P<plugin>[a-z]+)_?$"
)
#: Problems that make an entry odd (it goes to review); any other problem makes it unreadable.
ODD_ENTRY = ("a symbolic link", "not a regular file", "a folder that cannot be opened")
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


@dataclass(frozen=True)
class HandIn:
    """One file handed in: who (matched on the roster), where, its bytes, when, how matched."""

    student: str
    label: str  # the path inside the submissions folder (``a.zip:member`` inside a zip)
    data: bytes | None
    submitted_at: datetime | None
    layout: str  # "plain", "canvas", "moodle"
    #: Canvas marked the submission late (``_late_`` in its name).
    lms_late: bool = False
    #: Canvas's submission id: a higher one is a later submission.
    lms_submission: int = 0
    #: Matched through a folder named for the student (or an LMS folder), not a loose file name.
    in_own_folder: bool = False
    #: Why the file cannot be graded as it is (it goes to review with this reason).
    problem: str | None = None


@dataclass(frozen=True)
class Finding:
    """Something a person should know about the folder: what kind, which name, and why."""

    kind: str  # unmatched | not-on-roster | odd-entry | missing | extra-file | resubmitted
    name: str
    detail: str

    def line(self) -> str:
        """Return the finding as one line of the grade summary."""
        return f"{self.kind:<13} {self.name}: {self.detail}"


@dataclass
class Intake:
    """What a folder holds: hand-ins by student and everything found that is not one."""

    handins: dict[str, list[HandIn]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    files: int = 0


@dataclass(frozen=True)
class _Entry:
    """A regular file (or a zip member) found by the walk, before matching."""

    parts: tuple[str, ...]
    label: str
    data: bytes | None
    modified: datetime | None
    problem: str | None = None


def _open_dir(name: str, parent: int | None) -> int:
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    return os.open(name, flags, dir_fd=parent)


def read_regular(name: str, parent: int | None, cap: int) -> tuple[bytes | None, float, str | None]:
    """Return a regular file's bytes and mtime, or None and why it was not read.

    Opened without following a symlink and without blocking (a FIFO or a device is refused by
    ``fstat`` before any read); a file over ``cap`` bytes is not read.
    """
    try:
        fd = os.open(name, _OPEN_FLAGS, dir_fd=parent)
    except OSError as error:
        if error.errno == 40:  # ELOOP: the last component is a symlink
            return None, 0.0, "a symbolic link (not followed)"
        return None, 0.0, f"cannot be opened ({error.strerror})"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, info.st_mtime, "not a regular file (a FIFO, device or socket)"
        if info.st_size > cap:
            return (
                None,
                info.st_mtime,
                f"the file is {info.st_size / 1e6:.1f} MB; notebooks over {cap / 1e6:.0f} MB are not graded",
            )
        chunks, size = [], 0
        while size <= cap:
            block = os.read(fd, min(1 << 20, cap + 1 - size))
            if not block:
                break
            chunks.append(block)
            size += len(block)
        if size > cap:
            return None, info.st_mtime, f"grew over the {cap / 1e6:.0f} MB cap while read"
        return b"".join(chunks), info.st_mtime, None
    except OSError as error:
        return None, 0.0, f"cannot be read ({error.strerror})"
    finally:
        os.close(fd)


def _stamp(seconds: float) -> datetime | None:
    return datetime.fromtimestamp(seconds, UTC) if seconds else None


def _zip_entries(data: bytes, parts: tuple[str, ...], label: str) -> Iterator[_Entry]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as error:
        yield _Entry(parts, label, None, None, f"not a readable zip file ({error})")
        return
    with archive:
        for info in archive.infolist()[:MAX_ENTRIES]:
            if info.is_dir():
                continue
            inner = tuple(p for p in info.filename.split("/") if p)
            member_label = f"{label}:{info.filename}"
            if any(p in LITTER for p in inner) or not inner:
                continue
            if ".." in inner or info.filename.startswith("/"):
                yield _Entry(inner, member_label, None, None, "a zip member path leaving the zip")
                continue
            modified = datetime(*info.date_time, tzinfo=UTC)
            if info.file_size > MAX_NOTEBOOK_BYTES:
                problem = (
                    f"the file is {info.file_size / 1e6:.1f} MB; notebooks over 5 MB are not graded"
                )
                yield _Entry(inner, member_label, None, modified, problem)
                continue
            try:
                with archive.open(info) as handle:
                    content = handle.read(MAX_NOTEBOOK_BYTES + 1)
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as error:
                yield _Entry(inner, member_label, None, modified, f"cannot be unzipped ({error})")
                continue
            if len(content) > MAX_NOTEBOOK_BYTES:
                yield _Entry(inner, member_label, None, modified, "over the notebook cap unzipped")
                continue
            yield _Entry(inner, member_label, content, modified)


def _walk(fd: int, parts: tuple[str, ...], findings: list[Finding]) -> Iterator[_Entry]:
    """Yield every file under the open folder ``fd``; odd entries become findings."""
    try:
        entries = sorted(os.scandir(fd), key=lambda e: e.name)
    except OSError as error:
        findings.append(Finding("odd-entry", "/".join(parts) or ".", f"cannot be listed ({error})"))
        return
    if len(entries) > MAX_ENTRIES:
        findings.append(
            Finding("odd-entry", "/".join(parts) or ".", f"{len(entries)} entries; not walked")
        )
        return
    for entry in entries:
        here = (*parts, entry.name)
        label = "/".join(here)
        if entry.name in LITTER:
            continue
        if entry.is_symlink():
            yield _Entry(here, label, None, None, "a symbolic link (not followed)")
        elif entry.is_dir(follow_symlinks=False):
            if len(here) > MAX_DEPTH:
                findings.append(Finding("odd-entry", label, f"deeper than {MAX_DEPTH} folders"))
                continue
            try:
                child = _open_dir(entry.name, fd)
            except OSError as error:
                yield _Entry(here, label, None, None, f"a folder that cannot be opened ({error})")
                continue
            try:
                yield from _walk(child, here, findings)
            finally:
                os.close(child)
        elif entry.name.lower().endswith(".zip"):
            data, mtime, problem = read_regular(entry.name, fd, MAX_ZIP_BYTES)
            if data is None:
                yield _Entry(here, label, None, _stamp(mtime), problem)
            else:
                for inner in _zip_entries(data, (), label):
                    yield _Entry(
                        (*parts, *inner.parts),
                        inner.label,
                        inner.data,
                        inner.modified,
                        inner.problem,
                    )
        elif entry.name.endswith(".ipynb"):
            data, mtime, problem = read_regular(entry.name, fd, MAX_NOTEBOOK_BYTES)
            yield _Entry(here, label, data, _stamp(mtime), problem)
        else:  # not a notebook: reported by name, never opened
            odd = None if entry.is_file(follow_symlinks=False) else "not a regular file"
            yield _Entry(here, label, None, None, odd)


def canvas_logins(entry: RosterEntry) -> set[str]:
    """Return the names Canvas may put first in a bulk-download file name for ``entry``.

    Canvas writes the student's sortable name squashed (``Zhang, Wen`` → ``zhangwen``); the
    roster may give it (``canvas_login``) or a display name in either order.
    """
    words = entry.name.replace(",", " ").split()
    names = {entry.canvas_login, entry.name, entry.id}
    if len(words) > 1:
        names.add(words[-1] + "".join(words[:-1]))  # "Wen Zhang" → "ZhangWen"
    return {squashed(name) for name in names} - {""}


@dataclass(frozen=True)
class _Match:
    student: str | None
    layout: str
    candidate: str  # the name looked up (for "not on roster")
    lms_late: bool = False
    lms_submission: int = 0
    in_own_folder: bool = False


def match_entry(parts: tuple[str, ...], manifest: Manifest) -> _Match:
    """Return which student the file at ``parts`` (relative to the folder) belongs to."""
    roster = list(manifest.roster) or [RosterEntry(id=s) for s in manifest.students]
    name = parts[-1]
    canvas = CANVAS_NAME.match(name)
    if canvas:
        login = squashed(canvas["login"])
        by_id = [e.id for e in roster if e.canvas_id and e.canvas_id == canvas["user"]]
        by_login = [e.id for e in roster if login in canvas_logins(e)]
        student = (by_id or by_login or [None])[0]
        if not roster and valid_id(canvas["login"]):
            student = canvas["login"]
        return _Match(
            student, "canvas", canvas["login"], bool(canvas["late"]), int(canvas["submission"])
        )
    for folder in reversed(parts[:-1]):
        moodle = MOODLE_FOLDER.match(folder)
        if moodle:
            full = squashed(moodle["name"])
            pid = moodle["participant"]
            by_id = [e.id for e in roster if e.moodle_id and e.moodle_id == pid]
            by_name = [e.id for e in roster if full in {squashed(e.name), squashed(e.id)}]
            student = (by_id or by_name or [None])[0]
            if not roster and valid_id(moodle["name"]):
                student = moodle["name"]
            return _Match(student, "moodle", moodle["name"], in_own_folder=True)
    stem = name[: -len(".ipynb")] if name.endswith(".ipynb") else name
    if roster:
        ids = {e.id: e.id for e in roster}
        folded = {e.id.casefold(): e.id for e in roster}
        for depth, candidate in enumerate([stem, *reversed(parts[:-1])]):
            student = ids.get(candidate) or folded.get(candidate.casefold())
            if student:
                return _Match(student, "plain", candidate, in_own_folder=depth > 0)
        return _Match(None, "plain", parts[0] if len(parts) > 1 else stem)
    candidate = parts[0] if len(parts) > 1 else stem
    return _Match(
        candidate if valid_id(candidate) else None, "plain", candidate, in_own_folder=len(parts) > 1
    )


def collect_folder(folder: os.PathLike[str] | str, manifest: Manifest) -> Intake:
    """Return every hand-in under ``folder`` matched to ``manifest``'s class, and the findings."""
    intake = Intake()
    top = _open_dir(os.fspath(folder), None)
    try:
        entries = list(_walk(top, (), intake.findings))
    finally:
        os.close(top)
    roster_given = bool(manifest.roster or manifest.students)
    for entry in entries:
        intake.files += 1
        if not entry.parts[-1].endswith(".ipynb"):
            why = entry.problem or "not a notebook (.ipynb)"
            intake.findings.append(Finding("unmatched", entry.label, why))
            continue
        match = match_entry(entry.parts, manifest)
        if match.student is None:
            if roster_given:
                detail = f"{match.candidate!r} is not on the class list ({match.layout} layout)"
                intake.findings.append(Finding("not-on-roster", entry.label, detail))
            else:
                detail = f"{match.candidate!r} is not a usable student id; rename it"
                intake.findings.append(Finding("unmatched", entry.label, detail))
            continue
        handin = HandIn(
            student=match.student,
            label=entry.label,
            data=entry.data,
            submitted_at=entry.modified,
            layout=match.layout,
            lms_late=match.lms_late,
            lms_submission=match.lms_submission,
            in_own_folder=match.in_own_folder,
            problem=None if entry.problem is None else f"{entry.label}: {entry.problem}",
        )
        intake.handins.setdefault(match.student, []).append(handin)
    for student in manifest.roster_ids():
        if student not in intake.handins:
            intake.findings.append(Finding("missing", student, "no hand-in found"))
    return intake

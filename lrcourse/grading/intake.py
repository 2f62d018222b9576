"""Find who handed in what: walk a submissions folder safely and match files to the roster.

The folder is untrusted. It is walked with directory file descriptors (``openat``), never
following a symbolic link, and a file is opened with ``O_NOFOLLOW | O_NONBLOCK`` and checked with
``fstat`` (a regular file, under the size cap) before one byte is read, so a symlink to another
student's work or to ``/dev/zero``, a FIFO or a device is reported, never read or waited on.
Zip files (Canvas's "download submissions", Moodle's "download all", a student's own zip inside
them) are read from disk member by member under caps: at most ``MAX_ZIP_MEMBERS`` members and
``MAX_UNZIPPED_BYTES`` unzipped in one walk, only notebooks (and one level of nested zips)
unzipped at all; every member skipped (over a cap, encrypted, leaving the zip) is a finding.

Names are matched to the class list (``Manifest.roster``); the outermost name an LMS wrote (or
a roster id folder) decides, never a name inside a student's own zip or folder:

* plain: ``<id>.ipynb`` or ``<id>/<any>.ipynb``;
* Canvas (canvas-lms ContentZipper): ``<sortable name>[_late]_<user id>_<file id>_<file name>``,
  matched by the Canvas user id, else by the squashed sortable name (``zhangwen``);
* Moodle (mod/assign download_submissions): ``<First Last>_<participant id>_assignsubmission_
  file_/<file name>``, matched by the participant id, else by the name in any word order.

A hand-in's time is a file's own (folder mtime, zip entry date) only when asked
(``use_file_times``): Canvas dates its download's entries with the download's time.
Nothing is skipped without a word: every file that matches nobody, every id not on the roster,
every odd entry (symlink, FIFO, device, too big, unreadable) and every roster student with no
hand-in becomes a :class:`Finding` with the name. Only ``.ipynb_checkpoints``, ``__MACOSX`` and
``.DS_Store`` (editor and archiver litter) are passed over. A file name that is not UTF-8 is
shown with backslash escapes (:func:`shown`).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from lrcourse.grading.manifest import Manifest, RosterEntry
from lrcourse.grading.roster import squashed, valid_id
from lrcourse.grading.zips import LITTER as LITTER
from lrcourse.grading.zips import MAX_NOTEBOOK_BYTES as MAX_NOTEBOOK_BYTES
from lrcourse.grading.zips import MAX_ZIP_MEMBERS as MAX_ZIP_MEMBERS
from lrcourse.grading.zips import (
    OPEN_FLAGS,
    Budget,
    Entry,
    Finding,
    open_zip,
    shown,
    stamp,
    zip_entries,
)

#: Folders deeper than this and folders with more entries than this are not walked further.
MAX_DEPTH = 8
MAX_ENTRIES = 20_000
#: canvas-lms ContentZipper#add_submission: ``<sortable name>[_LATE]_<user id>`` sanitised
#: (``[^[[:word:]]]`` removed, downcased), then ``_<attachment id>_<file name>``; the name is
#: left out under anonymous grading. Ids longer than 18 digits are not Canvas's.
CANVAS_NAME = re.compile(
    r"^(?:(?P<login>[^/]*?)_)?(?P<late>late_|LATE_)?(?P<user>\d{1,18})_(?P<submission>\d{1,18})_"
    r"(?P<file>.+)$"
)
#: Moodle mod/assign download_submissions: ``clean_filename(<full name>_<participant id>)`` +
#: ``_assignsubmission_<plugin>_`` as a folder (default since 3.1) or before the file name.
MOODLE_FOLDER = re.compile(
    r"^(?P<name>.+?)_(?P<participant>\d{1,18})_assignsubmission_(?P<plugin>[a-z]+)_(?P<rest>.*)$"
)
#: Problems that make an entry odd (it goes to review); any other problem makes it unreadable.
ODD_ENTRY = ("a symbolic link", "not a regular file", "a folder that cannot be opened")
#: Where a hand-in's time came from (shown with its lateness).
TIME_NONE = "no submission time in the download"
TIME_CANVAS_LATE = "Canvas's LATE mark (no time)"
TIME_FILE = "file time (--use-file-times)"
TIME_GIVEN = "given with --submitted"


@dataclass(frozen=True)
class HandIn:
    """One file handed in: who (matched on the roster), where, its bytes, when, how matched."""

    student: str
    label: str  # the path inside the submissions folder (``a.zip:member`` inside a zip)
    data: bytes | None
    #: The submission time, only from a source the LMS records or the instructor asked for.
    submitted_at: datetime | None
    layout: str  # "plain", "canvas", "moodle"
    #: Canvas marked the submission late (``_late_`` in its name).
    lms_late: bool = False
    #: Canvas's attachment id: a file uploaded later has a higher one.
    lms_submission: int = 0
    #: Matched through a folder named for the student (or an LMS folder), not a loose file name.
    in_own_folder: bool = False
    #: Why the file cannot be graded as it is (it goes to review with this reason).
    problem: str | None = None
    #: Where ``submitted_at`` (or the lateness) came from: one of the ``TIME_*`` texts.
    time_source: str = TIME_NONE
    #: The file's own time (folder mtime or zip entry time): shown, used only when asked.
    file_time: datetime | None = None


@dataclass
class Intake:
    """What a folder holds: hand-ins by student and everything found that is not one."""

    handins: dict[str, list[HandIn]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    files: int = 0


def _open_dir(name: str, parent: int | None) -> int:
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    return os.open(name, flags, dir_fd=parent)


def read_regular(name: str, parent: int | None, cap: int) -> tuple[bytes | None, float, str | None]:
    """Return a regular file's bytes and mtime, or None and why it was not read.

    Opened without following a symlink and without blocking (a FIFO or a device is refused by
    ``fstat`` before any read); a file over ``cap`` bytes is not read.
    """
    try:
        fd = os.open(name, OPEN_FLAGS, dir_fd=parent)
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


def _walk(
    fd: int, parts: tuple[str, ...], findings: list[Finding], budget: Budget
) -> Iterator[Entry]:
    """Yield every file under the open folder ``fd``; odd entries become findings.

    A zip's own name stays in the parts of its members (``bob_12_34_work.zip/alice.ipynb``), so
    the wrapper that holds a file, not a name chosen inside it, says whose it is.
    """
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
        here = (*parts, shown(entry.name))
        label = "/".join(here)
        if entry.name in LITTER:
            continue
        if entry.is_symlink():
            yield Entry(here, label, None, None, "a symbolic link (not followed)")
        elif entry.is_dir(follow_symlinks=False):
            if len(here) > MAX_DEPTH:
                findings.append(Finding("odd-entry", label, f"deeper than {MAX_DEPTH} folders"))
                continue
            try:
                child = _open_dir(entry.name, fd)
            except OSError as error:
                yield Entry(here, label, None, None, f"a folder that cannot be opened ({error})")
                continue
            try:
                yield from _walk(child, here, findings, budget)
            finally:
                os.close(child)
        elif entry.name.lower().endswith(".zip"):
            handle, mtime, problem = open_zip(entry.name, fd)
            if handle is None:
                yield Entry(here, label, None, stamp(mtime), problem)
                continue
            # A student's own zip (a Canvas entry, or a zip in a Moodle folder): the dates of its
            # members were chosen by the student; the zip file's own time stands for them all.
            own = bool(CANVAS_NAME.match(entry.name)) or any(MOODLE_FOLDER.match(p) for p in parts)
            with handle:
                for inner in zip_entries(handle, label, budget, findings):
                    if own:
                        inner = Entry(
                            inner.parts, inner.label, inner.data, stamp(mtime), inner.problem
                        )
                    yield Entry(
                        (*here, *inner.parts),
                        inner.label,
                        inner.data,
                        inner.modified,
                        inner.problem,
                    )
        elif entry.name.endswith(".ipynb"):
            data, mtime, problem = read_regular(entry.name, fd, MAX_NOTEBOOK_BYTES)
            yield Entry(here, label, data, stamp(mtime), problem)
        else:
            try:
                odd = None if entry.is_file(follow_symlinks=False) else "not a regular file"
                mtime = entry.stat(follow_symlinks=False).st_mtime
            except OSError:
                odd, mtime = "cannot be read", 0.0
            yield Entry(here, label, None, stamp(mtime), odd)


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


def name_keys(name: str) -> set[str]:
    """Return the forms a person's name is compared in: squashed, and its words in any order.

    Moodle writes "First Last" (``fullname()``, with ``_`` made a space); a class list may say
    "Last, First": both give the same sorted words.
    """
    words = sorted(squashed(w) for w in re.split(r"[\s,_]+", name) if squashed(w))
    return {k for k in (squashed(name), " ".join(words)) if k}


def _one(found: list[str]) -> str | None:
    unique = sorted(set(found))
    return unique[0] if len(unique) == 1 else None


def _canvas_match(found: re.Match[str], roster: list[RosterEntry], in_zip: bool) -> _Match:
    login = squashed(found["login"] or "")
    by_id = [e.id for e in roster if e.canvas_id and e.canvas_id == found["user"]]
    by_login = [e.id for e in roster if login and login in canvas_logins(e)]
    student = _one(by_id) or (None if by_id else _one(by_login))
    if not roster and found["login"] and valid_id(found["login"]):
        student = found["login"]
    return _Match(
        student,
        "canvas",
        found["login"] or found["user"],
        bool(found["late"]),
        int(found["submission"]),
        in_own_folder=in_zip,
    )


def _moodle_match(found: re.Match[str], roster: list[RosterEntry]) -> _Match:
    keys = name_keys(found["name"])
    pid = found["participant"]
    by_id = [e.id for e in roster if e.moodle_id and e.moodle_id == pid]
    by_name = [e.id for e in roster if keys & (name_keys(e.name) | name_keys(e.id))]
    student = _one(by_id) or (None if by_id else _one(by_name))
    if not roster and valid_id(found["name"]):
        student = found["name"]
    return _Match(student, "moodle", found["name"], in_own_folder=True)


def match_entry(parts: tuple[str, ...], manifest: Manifest) -> _Match:
    """Return which student the file at ``parts`` (relative to the folder) belongs to.

    The outermost LMS wrapper decides: the first part, from the top, that Canvas or Moodle
    named for a student (a Canvas entry, file or zip; a Moodle folder). Names inside it (a
    notebook in a student's zip called ``martinalice_48101_…``, a Moodle-style folder inside
    bob's folder) were chosen by the student and never change whose hand-in it is.
    """
    roster = list(manifest.roster) or [RosterEntry(id=s) for s in manifest.students]
    ids = {e.id: e.id for e in roster}
    folded = {e.id.casefold(): e.id for e in roster}
    last = len(parts) - 1
    for depth, part in enumerate(parts):
        moodle = MOODLE_FOLDER.match(part)
        if moodle and (depth < last or part.endswith(".ipynb")):
            return _moodle_match(moodle, roster)
        canvas = CANVAS_NAME.match(part)
        if canvas and (depth == last or part.lower().endswith(".zip")):
            return _canvas_match(canvas, roster, in_zip=depth < last)
        if depth < last:  # a plain folder (or zip) named by a roster id holds what is inside
            plain = part[: -len(".zip")] if part.lower().endswith(".zip") else part
            student = ids.get(plain) or folded.get(plain.casefold())
            if student:
                return _Match(student, "plain", plain, in_own_folder=True)
    stem = parts[-1][: -len(".ipynb")] if parts[-1].endswith(".ipynb") else parts[-1]
    folders = [p[: -len(".zip")] if p.lower().endswith(".zip") else p for p in parts[:-1]]
    if roster:
        student = ids.get(stem) or folded.get(stem.casefold())
        if student:
            return _Match(student, "plain", stem)
        return _Match(None, "plain", folders[0] if folders else stem)
    candidate = folders[0] if folders else stem
    return _Match(
        candidate if valid_id(candidate) else None, "plain", candidate, in_own_folder=bool(folders)
    )


def collect_folder(
    folder: os.PathLike[str] | str, manifest: Manifest, use_file_times: bool = False
) -> Intake:
    """Return every hand-in under ``folder`` matched to ``manifest``'s class, and the findings.

    A hand-in's time is taken from a file's own time (a folder's mtime, a zip entry's date)
    only with ``use_file_times``: Canvas stamps its download's entries with the time of the
    download, and a copied folder carries the time of the copy.
    """
    intake = Intake()
    top = _open_dir(os.fspath(folder), None)
    try:
        entries = list(_walk(top, (), intake.findings, Budget()))
    finally:
        os.close(top)
    roster_given = bool(manifest.roster or manifest.students)
    for entry in entries:
        intake.files += 1
        if not entry.parts or not entry.parts[-1].endswith(".ipynb"):
            if any(f.name == entry.label for f in intake.findings):
                continue  # already named (a zip member skipped with its reason)
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
        if use_file_times and entry.modified is not None:
            submitted_at, source = entry.modified, TIME_FILE
        else:
            submitted_at = None
            source = TIME_CANVAS_LATE if match.lms_late else TIME_NONE
        handin = HandIn(
            student=match.student,
            label=entry.label,
            data=entry.data,
            submitted_at=submitted_at,
            layout=match.layout,
            lms_late=match.lms_late,
            lms_submission=match.lms_submission,
            in_own_folder=match.in_own_folder,
            problem=None if entry.problem is None else f"{entry.label}: {entry.problem}",
            time_source=source,
            file_time=entry.modified,
        )
        intake.handins.setdefault(match.student, []).append(handin)
    for student in manifest.roster_ids():
        if student not in intake.handins:
            intake.findings.append(Finding("missing", student, "no hand-in found"))
    return intake

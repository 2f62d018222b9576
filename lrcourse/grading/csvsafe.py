"""CSV cells a spreadsheet shows as text: what a student or a roster wrote never becomes a formula.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (OWASP's "CSV injection"): an answer such as
``=HYPERLINK("http://…")`` in a review sheet, or a class-list name ``@SUM(1+1)`` in a grade CSV,
would run when the instructor opens the file. :func:`safe_cell` prefixes such a cell with ``'``
(the spreadsheets' own "this is text" mark) unless it is a plain number (``-0.5`` stays a
number) or a lone ``-``; :func:`read_cell` takes that prefix off again when a sheet is read back.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$")


def safe_cell(value: object) -> str:
    """Return ``value`` as CSV cell text that no spreadsheet evaluates as a formula."""
    text = "" if value is None else str(value)
    # A lone "-" is Moodle's "no grade" and no formula: spreadsheets show it as text.
    if text.startswith(FORMULA_STARTS) and text != "-" and not _NUMBER.match(text):
        return "'" + text
    return text


def read_cell(text: str) -> str:
    """Return a cell as it was before :func:`safe_cell` (the ``'`` it added taken off)."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    """Return ``rows`` as CSV text, every cell passed through :func:`safe_cell`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()

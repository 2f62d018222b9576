"""Text a student or a class list wrote, made inert for a terminal and for a Markdown page.

Answers, exception messages, file names and roster names are written by people we do not
trust. Shown raw they could move the cursor or rewrite the screen of the instructor's terminal
(ESC sequences, a carriage return, bidi overrides), start a new line that looks like ours
("60 graded, mean 9/9"), or, in a feedback page, add a heading ("## Question 99"), a score line,
a link or a remote image. :func:`terminal_text` shows every control and format character as a
visible escape (``\\x1b``, ``\\u202e``); :func:`markdown_text` makes one line of literal Markdown
text (every character that can start a construct backslash-escaped, as CommonMark allows, line
breaks shown as ``⏎``).
"""

from __future__ import annotations

import re
import unicodedata

#: Unicode categories that draw nothing and can change what a terminal or a page shows.
_INVISIBLE = ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn")
#: Characters that open an inline construct anywhere (emphasis, code, link, image, HTML, entity,
#: hard break; ``|`` and ``~`` for GitHub-flavoured viewers of the ``.md``).
_INLINE = frozenset("\\`*_[]<>!&|~")
#: What would open a block at the start of a line: a heading, quote, list item, rule, setext.
_BLOCK_START = re.compile(r"^(\s*)([#>+=-]|\d{1,9}(?=[.)]))")


def _escape(char: str) -> str:
    code = ord(char)
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )


def terminal_text(text: str, *, multiline: bool = False) -> str:
    """Return ``text`` safe to print: every control/format character shown as an escape.

    With ``multiline`` a line feed stays a line feed (a tab becomes spaces); otherwise a line
    break is shown as ``\\n`` so one item stays on one line.
    """
    out = []
    for char in text:
        if multiline and char == "\n":
            out.append(char)
        elif multiline and char == "\t":
            out.append("    ")
        elif unicodedata.category(char) in _INVISIBLE:
            out.append("\\n" if char == "\n" else _escape(char))
        else:
            out.append(char)
    return "".join(out)


def markdown_text(text: str) -> str:
    """Return ``text`` as one line of Markdown that renders as exactly these characters.

    No heading, list, emphasis, code, link, image or HTML can start inside it, and no line
    break: a name or message with a newline cannot start a section or a score line of its own.
    """
    out = []
    for char in text:
        if char in "\r\n" or unicodedata.category(char) in ("Zl", "Zp"):
            out.append(" ⏎ ")
        elif unicodedata.category(char) in _INVISIBLE:
            out.append(_escape(char).replace("\\", "\\\\"))
        elif char in _INLINE:
            out.append("\\" + char)
        else:
            out.append(char)
    line = "".join(out)
    match = _BLOCK_START.match(line)
    if match:  # "1." or "1)" is escaped after its digits; the rest before the mark
        mark = match[2]
        if mark[0].isdigit():
            line = match[1] + mark + "\\" + line[match.end()] + line[match.end() + 1 :]
        else:
            line = match[1] + "\\" + line[match.start(2) :]
    return line

"""What a question's prose claims, read so verify can hold it against what torch does.

Bank authors write numbers in prose: "this prints `0.025`", "after three steps", a tolerance.
Each function here reads one kind of claim and returns one message per claim the evidence
contradicts (``[]`` when everything holds or nothing can be read). They only read text and
numbers; running code is ``verify``'s job.

* :func:`output_claims`: outputs a prompt, solution step or option feedback says the code
  prints ("prints `0.1 0.05`", "torch shows 0.025") must be among the numbers it prints, at the
  precision they are written.
* :func:`step_count_claims`: a count of steps or epochs the prompt names ("after 3 steps") must
  be what the code's loop around ``.step()`` runs, where that loop reads ``range(<number>)``
  (verify asks this of hidden code, which the learner cannot read for themselves).
* :func:`tolerance_claims`: a numeric tolerance may not accept 0 for a non-zero key, nor span
  more than :data:`TOLERANCE_FRACTION` of the key, unless the bank says why.
* :func:`decidable_reason`: why a question without code reads as one code could decide.
"""

from __future__ import annotations

import ast
import math
import re

#: The widest tolerance verify accepts without a stated ``why``, as a fraction of the key.
TOLERANCE_FRACTION = 0.1

_NUMBER = r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?"
_NUMBER_RE = re.compile(rf"(?<![\w.]){_NUMBER}(?![\w.]|\.\d)")
#: Words that say "the code's output is": what follows them is a claim about stdout.
_OUTPUT_VERB = re.compile(
    r"\b(?P<verb>prints?|printed|printing|(?:it|this|torch|the code|the snippet) (?:shows|outputs)"
    r"|the output is)\b"
    r"\s*:?\s*(?P<claim>`[^`\n]+`|(?:" + _NUMBER + r")(?:\s*(?:,|then|and)\s*" + _NUMBER + r")*)",
    re.IGNORECASE,
)
#: Words a printed boolean or ``None`` is spelled with.
_WORDS = {"True", "False", "None"}
_COUNT_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
    "twenty": 20,
}
_COUNT = r"(?P<count>\d+|" + "|".join(_COUNT_WORDS) + r")"
#: "after 3 steps", "runs 4 epochs", "3 optimizer steps", "after five calls to step()". Not
#: "for 4 epochs": that names a phase of a schedule ("StepLR for four epochs, then ..."), not
#: how long the code runs.
_STEP_COUNT = re.compile(
    r"\b(?:(?:after|runs?|running)\s+" + _COUNT + r"\s+(?:optimizer\s+|scheduler\s+|"
    r"training\s+)?(?:steps?|epochs?|iterations?|calls?)|"
    + _COUNT.replace("count", "count2")
    + r"\s+(?:optimizer|scheduler|training)\s+steps?)\b",
    re.IGNORECASE,
)


def _last_place(token: str) -> float:
    """Return the value of the last written digit of ``token`` (``0.05`` -> 0.01, ``3e-02`` -> 0.01)."""
    mantissa, _, exponent = token.lower().partition("e")
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return 10.0 ** (int(exponent or 0) - decimals)


def _printed_as(claimed: str, number: float) -> bool:
    """Return True when ``claimed`` is ``number`` rounded to the digits ``claimed`` is written with."""
    value = float(claimed)
    if math.isclose(value, number, rel_tol=1e-6, abs_tol=1e-12):
        return True
    difference = abs(number - value)
    # Strictly inside half a last place: 0.05 does not read as "0.1" (it sits on the boundary).
    half = 0.5 * _last_place(claimed) * (1 - 1e-6)
    return difference <= half and difference <= 0.25 * abs(number)


#: "would print", "if it printed", "expecting it prints", "a tutorial says ... prints": in the
#: same sentence before the verb, these mark a claim that is not the code's own output.
_HYPOTHETICAL = re.compile(
    r"\b(?:would|could|might|should|if|not|never|expect\w*|think\w*|believ\w*|wrong\w*|"
    r"says|claims?|tutorial|blog|someone|learners?|students?|suppose\w*|assum\w*|imagine)\b",
    re.IGNORECASE,
)


#: "prints 4 lines", "prints 3 values": a count of what is printed, not a printed number.
_COUNTED = re.compile(
    r"\s*(?:lines?|values?|times|numbers?|rates?|epochs?|steps?|items?|entries|rows?|columns?|"
    r"decimals?|digits?|places?|significant|of)\b",
    re.IGNORECASE,
)


def _hypothetical(text: str, start: int) -> bool:
    """Return True when the sentence up to ``start`` frames what follows as not the code's output."""
    sentence = re.split(r"(?<=[.!?])\s+", text[:start])[-1]
    return bool(_HYPOTHETICAL.search(sentence))


def output_claims(texts: dict[str, str], printed: str) -> list[tuple[str, str]]:
    """Return ``(field, message)`` for each output the prose claims that ``printed`` does not hold.

    ``texts`` maps a field name (``prompt``, ``solution[1]``, ``options[0].feedback``) to its
    text. A claim is what follows "prints"/"outputs"/"shows" (not "would print", "expecting it
    prints"): a backticked span or a run of numbers. One number must be one the code printed;
    several must be printed in that order (others may come between). Fewer digits are fine (`0.05` for
    `0.05000000074505806`, `3e-02` for `0.0316`); ``True``/``False``/``None`` must be printed too.
    """
    numbers = [float(token) for token in _NUMBER_RE.findall(printed)]
    words = set(re.findall(r"\b(?:True|False|None)\b", printed))
    found: list[tuple[str, str]] = []
    for field, text in texts.items():
        for match in _OUTPUT_VERB.finditer(text):
            if _hypothetical(text, match.start()) or _COUNTED.match(text, match.end()):
                continue
            claim = match["claim"].strip("`")
            tokens = _NUMBER_RE.findall(claim)
            wrong = [word for word in re.findall(r"\b\w+\b", claim) if word in _WORDS - words]
            if len(tokens) == 1 and not any(_printed_as(tokens[0], n) for n in numbers):
                wrong.append(tokens[0])
            elif len(tokens) > 1 and not _printed_in_order(tokens, numbers):
                wrong.append(" ".join(tokens) + " in this order")
            if wrong:
                shown = " ".join(printed.split())
                shown = shown if len(shown) <= 80 else shown[:77] + "..."
                found.append(
                    (
                        field,
                        f"says {match['verb']!r} {claim!r} but torch prints "
                        f"{shown!r} ({', '.join(wrong)} is not in it)",
                    )
                )
    return found


def _printed_in_order(tokens: list[str], numbers: list[float]) -> bool:
    """Return True when ``tokens`` are printed in this order (others may come between them)."""
    position = 0
    for token in tokens:
        while position < len(numbers) and not _printed_as(token, numbers[position]):
            position += 1
        if position == len(numbers):
            return False
        position += 1
    return True


def _literal_count(call: ast.expr) -> int | None:
    """Return how many times ``range(<numbers>)`` iterates, or None if it is not that."""
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)):
        return None
    if call.func.id != "range" or call.keywords or not 1 <= len(call.args) <= 3:
        return None
    values = []
    for arg in call.args:
        if not (isinstance(arg, ast.Constant) and type(arg.value) is int):
            return None
        values.append(arg.value)
    return len(range(*values))


def _calls_step(node: ast.AST) -> bool:
    return any(
        isinstance(inner, ast.Call)
        and isinstance(inner.func, ast.Attribute)
        and inner.func.attr == "step"
        for inner in ast.walk(node)
    )


def loop_counts(code: str) -> list[int]:
    """Return the iteration counts of ``for ... in range(<numbers>)`` loops that call ``.step()``.

    Nested loops add their product too (3 epochs of 4 batches also reads as 12 steps).
    """
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    counts: list[int] = []

    def visit(node: ast.AST, outer: int) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.For):
                count = _literal_count(child.iter)
                if count is not None and _calls_step(child):
                    counts.append(count)
                    if outer > 1:
                        counts.append(count * outer)
                    visit(child, count * outer)
                    continue
            visit(child, outer)

    visit(tree, 1)
    return counts


def step_count_claims(prompt: str, code: str) -> list[str]:
    """Return a message for each step count ``prompt`` names that no ``.step()`` loop in ``code`` runs.

    Only read where it can be: the code has a ``range(<number>)`` loop calling ``.step()``.
    """
    counts = loop_counts(code)
    if not counts:
        return []
    found = []
    for match in _STEP_COUNT.finditer(prompt):
        word = (match["count"] or match["count2"]).lower()
        named = _COUNT_WORDS[word] if word in _COUNT_WORDS else int(word)
        if named not in counts:
            loops = " and ".join(str(c) for c in sorted(set(counts)))
            found.append(
                f"says {match[0]!r} but the code's loop calling .step() runs {loops} time(s)"
            )
    return found


def tolerance_claims(key: float, allowed: float, why: str | None) -> list[str]:
    """Return why a tolerance of ``allowed`` around ``key`` is too wide (``[]`` if fine or explained)."""
    if why or key == 0:
        return []
    if allowed >= abs(key):
        return [
            f"accepts {allowed:g} either side of the key {key!r}: an answer of 0 would count; "
            f"tighten it or say why in `tolerance.why`"
        ]
    if allowed > TOLERANCE_FRACTION * abs(key):
        return [
            f"accepts {allowed:g} either side of the key {key!r}, more than "
            f"{TOLERANCE_FRACTION:.0%} of it; tighten it or say why in `tolerance.why`"
        ]
    return []


_ASKS_FOR_OUTPUT = re.compile(
    r"\bwhat\b[^?]{0,80}\b(?:print|prints|printed|output|raise|raises|raised|warn|warns|"
    r"return|returns)\b|\bwhich\s+(?:error|exception|warning)\b|\bdoes\s+(?:it|this|the code)\s+"
    r"(?:raise|warn)\b",
    re.IGNORECASE,
)
_ERROR_NAME = re.compile(r"^`?[A-Z][A-Za-z]*(?:Error|Exception|Warning)`?$")


def decidable_reason(prompt: str, option_texts: list[str]) -> str | None:
    """Return why a question reads as one code could decide (it asks for output, its options are numbers or errors), else None."""
    if _ASKS_FOR_OUTPUT.search(prompt):
        return "its prompt asks what code prints, raises, warns or returns"
    texts = [text.strip() for text in option_texts]
    if texts and all(_NUMBER_RE.fullmatch(text.strip("`")) for text in texts):
        return "its options are numbers"
    if texts and sum(bool(_ERROR_NAME.match(text)) for text in texts) >= 2:
        return "its options name errors or warnings"
    return None

"""How deep a JSON text nests, judged without parsing it: json.loads recurses once per level, so
some thousand brackets raise RecursionError (no ValueError) out of whoever parses. The API's
parser and the chat socket refuse a text deeper than their bound before they parse it."""

from __future__ import annotations

import re

# Strings first, so that brackets inside them are not counted; then everything but brackets.
_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]++")
_INNERMOST_PAIR = re.compile(r"\[\]|\{\}")


def json_depth_exceeds(text: str, limit: int) -> bool:
    """Whether ``text`` nests arrays and objects more than ``limit`` deep. Each pass of C-speed
    regexes peels one level, so a hostile text costs at most ``limit`` passes, never a recursion.
    Brackets that never pair up (``[[[…`` unclosed, ``[}``) are not JSON and count as too deep:
    json.loads would recurse into them before finding the error."""
    if text.count("[") + text.count("{") <= limit:
        return False  # the common case, counted in C
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    for _level in range(limit):
        if not brackets:
            return False
        peeled = _INNERMOST_PAIR.sub("", brackets)
        if peeled == brackets:
            return True
        brackets = peeled
    return bool(brackets)

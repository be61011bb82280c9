"""Text that comes from the data, made safe to show: literal, never markup, no control characters.

Customer names, owners, plans and DQ values are user data. They are always
wrapped in `rich.text.Text` / Textual `Content` objects (never interpolated into
markup), and control characters (ESC, BEL, backspace, ...) are replaced by a
visible escape such as ``\\x1b`` so nothing from the data reaches the terminal
as a control sequence.
"""

from __future__ import annotations

import re

from rich.text import Text
from textual.content import Content

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\t": " ", "\n": "⏎", "\r": "⏎"}


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(value: object) -> str:
    """The value as a single line of printable text (control characters made visible)."""
    text = value if isinstance(value, str) else str(value)
    return _CONTROL.sub(_escape, text)


def literal(value: object, style: str = "") -> Text:
    """A Rich Text showing the value exactly as typed (no markup is parsed)."""
    return Text(clean(value), style=style, no_wrap=True, overflow="ellipsis")


def content(value: object) -> Content:
    """A Textual Content showing the value exactly as typed."""
    return Content(clean(value))

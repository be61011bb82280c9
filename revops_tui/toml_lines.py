"""Where things are in a TOML file's text, for messages that give a line number (tomllib parses
the text but does not say where a value came from). Used for config.toml and the targets file."""

from __future__ import annotations

import re
from typing import Iterator

_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")


def walk(text: str) -> Iterator[tuple[int, tuple[str, ...], str, bool]]:
    """(1-based line number, the table the line is in (() at the top), the line, whether it is
    that table's [header]) for every line."""
    table: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = tuple(p.strip().strip("\"'") for p in header.group(1).split("."))
        yield number, table, line, bool(header)


def assigns(line: str, key: str, dotted: bool = False) -> bool:
    """Whether the line sets `key` (`key = ...`, quoted or not; with dotted also `key.sub = ...`)."""
    return re.match(rf"""^\s*["']?{re.escape(key)}["']?\s*{'[=.]' if dotted else '='}""", line) is not None

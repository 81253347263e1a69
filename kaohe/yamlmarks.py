"""Where each key of a YAML document is: key path → (line, column), 1-based, from PyYAML's
node marks. Used only when a rubric is refused, to point at the line to fix; kept apart from
the loading code (a second, cheap parse on the error path)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

Loc = tuple[str | int, ...]
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def key_marks(text: str) -> dict[Loc, tuple[int, int]]:
    """Every mapping key and sequence item of ``text`` by its path; empty when ``text`` is
    not YAML (its problem is then the syntax error, which has its own mark)."""
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError:
        return {}
    return dict(_walk(root, ())) if root is not None else {}


def _walk(node: Any, loc: Loc) -> Iterator[tuple[Loc, tuple[int, int]]]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            here = (*loc, key.value)
            yield here, (key.start_mark.line + 1, key.start_mark.column + 1)
            yield from _walk(value, here)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            here = (*loc, i)
            yield here, (item.start_mark.line + 1, item.start_mark.column + 1)
            yield from _walk(item, here)


def parse_key_path(path: str) -> Loc:
    """``indicators[2].children[0].rule`` → ("indicators", 2, "children", 0, "rule")."""
    return tuple(int(i) if i else name for name, i in _PART.findall(path))


def mark_of(marks: dict[Loc, tuple[int, int]], loc: Loc) -> tuple[int, int]:
    """The mark of ``loc``, or of its nearest ancestor in the file (a missing key is reported
    where its mapping is); (0, 0) when nothing is known."""
    for end in range(len(loc), 0, -1):
        got = marks.get(loc[:end])
        if got is not None:
            return got
    return (0, 0)

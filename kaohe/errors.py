"""Errors that tell the user exactly what to fix: file, row, column, message."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# characters a terminal shows as nothing: named where a message quotes user text
INVISIBLE = {"\u200b": "［零宽空格］", "\u200c": "［零宽非连接符］", "\u200d": "［零宽连接符］",
             "\u2060": "［零宽不折行空格］", "\ufeff": "［BOM］", "\u00ad": "［软连字符］"}
_INVISIBLE = re.compile("[" + "".join(INVISIBLE) + "]")


@dataclass(frozen=True, order=True)
class Problem:
    """One located problem in a rubric or data file.

    ``row`` is the line number in the file (1 = header of a CSV) or a key path for YAML;
    ``column`` is a CSV column name or empty for YAML.
    """

    file: str
    row: str
    column: str
    message: str

    def __str__(self) -> str:
        message = _INVISIBLE.sub(lambda m: INVISIBLE[m.group()], self.message)
        return f"{self.file}:{self.row}:{self.column}: {message}"


class KaoheError(Exception):
    """Raised with every problem found, never just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems), key=_problem_order)
        super().__init__("\n".join(str(p) for p in self.problems))


def _problem_order(p: Problem) -> tuple:
    row = int(p.row) if p.row.isdigit() else -1
    return (p.file, row, p.row, p.column, p.message)


def display_path(path: Path | str) -> str:
    """A path as the user should read it: relative to the working directory when possible."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)

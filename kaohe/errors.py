"""Errors that tell the user exactly what to fix: file, line, column, message — and, for a
program, what kind of problem it is (``Problem.code``, as pandera's ``SchemaErrorReason``)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

# characters a terminal shows as nothing: named where a message quotes user text
INVISIBLE = {"\u200b": "［零宽空格］", "\u200c": "［零宽非连接符］", "\u200d": "［零宽连接符］",
             "\u2060": "［零宽不折行空格］", "\ufeff": "［BOM］", "\u00ad": "［软连字符］"}
_INVISIBLE = re.compile("[" + "".join(INVISIBLE) + "]")


class Code(StrEnum):
    """What kind of problem a ``Problem`` is; tests and programs match these, not the text."""

    UNSET = ""
    # rubric (评分细则)
    RUBRIC_UNREADABLE = "rubric_unreadable"  # the file cannot be read or is not YAML
    RUBRIC_INVALID = "rubric_invalid"  # a key or value the rubric's model refuses
    RUBRIC_UNKNOWN_RULE = "rubric_unknown_rule"  # rule.kind names no registered rule
    RUBRIC_INCONSISTENT = "rubric_inconsistent"  # sums, ids, references across the rubric
    PERIOD_MISSING = "period_missing"  # a period rubric it reads is missing or not a period
    # data
    DATA_FILE = "data_file"  # a file missing, unreadable, without its columns
    DATA_CELL = "data_cell"  # a cell that is not what its column holds
    DATA_REFERENCE = "data_reference"  # a unit, indicator or item that does not exist
    ROW_NOT_READ = "row_not_read"  # a row no rule reads (refused, not dropped)
    VALUE_OUT_OF_RANGE = "value_out_of_range"  # a value the rule cannot hold
    INPUT_MISSING = "input_missing"  # a unit without the input its indicator needs
    # build
    BUILD_FAILED = "build_failed"


@dataclass(frozen=True, order=True)
class Problem:
    """One located problem in a rubric or data file.

    ``row`` is the line number in a CSV (1 = header) or the key path in a rubric
    (``indicators[2].children[0].rule``); ``column`` a CSV column name. ``line`` and
    ``col`` are where a rubric's key is in its YAML file (0: not known), kept apart from the
    key path; ``department`` the department whose rows it concerns, for summaries.
    """

    file: str
    row: str
    column: str
    message: str
    code: str = ""
    line: int = 0
    col: int = 0
    department: str = ""

    def __str__(self) -> str:
        message = _INVISIBLE.sub(lambda m: INVISIBLE[m.group()], self.message)
        if self.line:  # a rubric key: file:line:column: key path: message
            return f"{self.file}:{self.line}:{self.col}: {self.row}: {message}"
        return f"{self.file}:{self.row}:{self.column}: {message}"


class KaoheError(Exception):
    """Raised with every problem found, never just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems), key=_problem_order)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def codes(self) -> set[str]:
        return {p.code for p in self.problems}


class RubricError(KaoheError):
    """A rubric (评分细则) that cannot be used as written."""


class DataError(KaoheError):
    """Data that do not fit the rubric: refused rows, missing inputs, bad cells."""


class BuildError(KaoheError):
    """Reports that could not be built."""


def _problem_order(p: Problem) -> tuple[str, int, str, str, str]:
    row = int(p.row) if p.row.isdigit() else -1
    return (p.file, row, p.row, p.column, p.message)


def summary(problems: list[Problem]) -> list[str]:
    """Counts by file and department, most first, for a long list of data problems."""
    counts = Counter((p.file, p.department) for p in problems)
    return [f"{file}{'（' + dept + '）' if dept else ''}：{n} 个问题"
            for (file, dept), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def display_path(path: Path | str) -> str:
    """A path as the user should read it: relative to the working directory when possible."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)

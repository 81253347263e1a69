"""Random malformed CSV and YAML bytes (hypothesis): kaohe refuses with a location or reads
exactly what a spreadsheet (an editor) shows — never a traceback, never a silent change.

CSV: rows of cells drawn from quotes, commas, line breaks, control and invisible characters,
blanks, each cell written raw or quoted, each line in its own encoding, with blank rows,
rows of commas and empty trailing columns. The spreadsheet is modelled by Python's csv
module (Excel's dialect) on the text: the frame ``read_csv_text`` returns must hold the same
non-empty rows, cell for cell (trimmed), at the lines where they start.

YAML: a rubric with keys repeated, numbers replaced by NaN or infinity, tabs, tags. Whatever
PyYAML alone would read with a duplicate, a non-finite number or a tag must be refused;
every refusal is located (line, or key path) and in Chinese.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from kaohe.dataset import read_csv_text
from kaohe.errors import KaoheError
from kaohe.readers import csvtext
from kaohe.rubric import load_rubric

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
HEADER = ["unit_id", "indicator_id", "source", "item", "value", "note"]
PIECES = ["fengcheng", "r04", "4.5", "区民政局", "凤城街道", "说明", "", " ", "\u3000", '"', '""',
          ",", "\n", "\r\n", "\u200b", "a,b", '他说"好"', "1,200"]
RARE = ["\x0b", "\x00", "\x1b", "\x7f"]  # control characters: refused wherever they are


def cells(rare: bool) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(PIECES + (RARE if rare else [])), max_size=3).map("".join)


@st.composite
def csv_files(draw) -> bytes:
    n = len(HEADER) + draw(st.integers(0, 2))  # empty trailing columns, as Excel leaves them
    header = HEADER + [""] * (n - len(HEADER))
    lines = [",".join(header)]
    cell = cells(draw(st.integers(0, 4)) == 0)  # a file with control characters, now and then
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["row", "row", "row", "blank", "commas"]))
        if kind == "blank":
            lines.append("")
        elif kind == "commas":
            lines.append("," * (n - 1))
        else:
            row = draw(st.lists(cell, min_size=len(HEADER), max_size=len(HEADER)))
            row += [""] * (n - len(HEADER))
            quoted = draw(st.lists(st.booleans(), min_size=n, max_size=n))
            lines.append(",".join('"' + c.replace('"', '""') + '"' if q else c
                                  for c, q in zip(row, quoted, strict=True)))
    encodings = [draw(st.sampled_from(["utf-8", "gb18030"]))] * len(lines)
    if draw(st.integers(0, 3)) == 0:  # a line appended with another editor
        i = draw(st.integers(0, len(lines) - 1))
        encodings[i] = "gb18030" if encodings[i] == "utf-8" else "utf-8"
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    bom = b"\xef\xbb\xbf" if draw(st.booleans()) and encodings[0] == "utf-8" else b""
    return bom + ending.encode().join(ln.encode(e) for ln, e in zip(lines, encodings, strict=True)) \
        + ending.encode()


def spreadsheet(text: str) -> dict[int, list[str]]:
    """What a spreadsheet shows: line a row starts on → its cells, trimmed; empty rows and
    empty trailing columns left out."""
    reader = csv.reader(io.StringIO(text))
    rows, line = {}, 1
    for record in reader:
        rows[line] = [c.strip() for c in record]
        line = reader.line_num + 1
    header = rows.pop(1)
    width = len(header)
    while width and header[width - 1] == "" and all(
            len(r) < width or r[width - 1] == "" for r in rows.values()):
        width -= 1
    return {k: (r + [""] * width)[:width] for k, r in rows.items() if any(r)}


@SETTINGS
@given(csv_files())
def test_random_csv_is_read_as_a_spreadsheet_shows_it_or_refused_with_a_line(tmp_path, raw):
    path = tmp_path / "observations.csv"
    path.write_bytes(raw)
    try:
        frame = read_csv_text(path, "observations.csv", [])
    except KaoheError as exc:
        assert exc.problems
        event("refused: " + exc.problems[0].message[:8])
        for p in exc.problems:
            assert p.row.isdigit(), p  # located: the line to look at
            assert not re.search(r"[A-Za-z]{4,} [a-z]{3,}", p.message), p  # no English sentence
        return
    text = raw.decode("utf-8-sig") if _utf8(raw) else raw.decode("gb18030")
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", text)  # never passed on
    shown = spreadsheet(text)
    got = {int(i) + 2: [("" if v != v else str(v)) for v in row]
           for i, row in zip(frame.index, frame.itertuples(index=False), strict=True)}
    if list(frame.columns) != HEADER:  # a column with data but no header: refused, located
        assert list(frame.columns)[:len(HEADER)] == HEADER
        found = csvtext.headless_columns(frame, "observations.csv")
        assert found and all(p.row.isdigit() for p in found)
        event("refused: a column without a header")
        return
    assert got == shown
    event(f"read: {len(got)} rows")


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8-sig")
        return True
    except UnicodeDecodeError:
        return False


RUBRIC = (ROOT / "params" / "changshou-rural" / "2023.yaml").read_text(encoding="utf-8")
LINES = RUBRIC.splitlines()
NUMBER = re.compile(r"^(\s*(?:- )?\w+: )(\d+(?:\.\d+)?)\s*$")
NUMBERED = [i for i, ln in enumerate(LINES) if NUMBER.match(ln)]
TOP = [i for i, ln in enumerate(LINES) if re.match(r"^\w+: \S", ln)]


@st.composite
def yaml_edits(draw) -> list[str]:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 3))):
        what = draw(st.sampled_from(["duplicate", "nan", "tab", "tag", "quoted nan"]))
        if what == "duplicate":
            i = draw(st.sampled_from(TOP))
            lines.insert(draw(st.sampled_from([i + 1, len(lines)])), lines[i])
        elif what in ("nan", "quoted nan"):
            i = draw(st.sampled_from(NUMBERED))
            value = draw(st.sampled_from([".nan", ".inf", "-.inf", ".NaN"]))
            m = NUMBER.match(lines[i])
            if m:
                lines[i] = m.group(1) + (f'"{value[1:] if value.startswith(".") else value}"'
                                         if what == "quoted nan" else value)
        elif what == "tab":
            i = draw(st.integers(0, len(lines) - 1))
            lines[i] = re.sub(r"^( +)", lambda m: "\t" * (len(m.group(1)) // 2), lines[i])
        else:
            i = draw(st.sampled_from(TOP))
            lines[i] = re.sub(r": ", ": !!python/name:os.system ", lines[i], count=1)
    return lines


class _Plain(yaml.SafeLoader):
    """PyYAML as it is: the last of two equal keys wins."""


@SETTINGS
@given(yaml_edits())
def test_random_yaml_is_refused_with_a_location_when_it_would_change_silently(tmp_path, lines):
    text = "\n".join(lines) + "\n"
    path = tmp_path / "2023.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        plain = yaml.load(text, Loader=_Plain)  # noqa: S506 - the safe loader
        hidden = _hidden(text)
    except yaml.YAMLError:
        plain, hidden = None, True  # unreadable: must be refused too
    try:
        loaded = load_rubric(path)
    except KaoheError as exc:
        event("refused: " + exc.problems[0].message[:8])
        for p in exc.problems:
            assert p.row, p
            assert not re.search(r"[A-Za-z]{4,} [a-z]{3,}", p.message), p
        return
    assert not hidden, "a duplicate key, a NaN or a tag was accepted"
    event("read")
    assert plain is not None and loaded.rubric.title == plain["title"]


def _hidden(text: str) -> bool:
    """Whether PyYAML alone would read a duplicate key, a non-finite number or a tag."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)

    def walk(n) -> bool:
        if not n.tag.startswith("tag:yaml.org,2002:") or "python" in n.tag:
            return True
        if isinstance(n, yaml.ScalarNode):
            if n.tag.endswith(":float"):
                return not math.isfinite(float(n.value.replace(".", "", 1)
                                               if n.value.lower().lstrip("+-").startswith(".")
                                               else n.value))
            return False
        if isinstance(n, yaml.MappingNode):
            keys = [k.value for k, _ in n.value if isinstance(k, yaml.ScalarNode)]
            return len(keys) != len(set(keys)) or any(walk(k) or walk(v) for k, v in n.value)
        return any(walk(c) for c in n.value)

    return walk(node)


def test_the_csv_model_is_a_spreadsheet():
    """The oracle itself: a quoted cell with a line break is one cell, at its first line."""
    assert spreadsheet('a,b\n"x\ny",1\n,\n2,3\n') == {2: ["x\ny", "1"], 5: ["2", "3"]}


@pytest.mark.parametrize("value", [".nan", ".inf"])
def test_the_yaml_model_sees_nan(value):
    assert _hidden(f"a: {value}\n")


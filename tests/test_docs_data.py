"""docs/data.md and the pandera models of kaohe/schemas.py say the same thing.

The column tables of the data dictionary are parsed from the markdown: every table file has a
section, every column of its model is documented with the model's type and blank rule, and no
column is documented that the model lacks. The worked example's CSV blocks are lines of the
bundled files (or, for tables the sample does not have, carry the model's header)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kaohe.office.tables import OFFICE_TABLES
from kaohe.rules import REGISTRY
from kaohe.schemas import TABLES, columns_of

DOCUMENTED = {**TABLES, **OFFICE_TABLES}  # scoring inputs and the office's own tables

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "data.md"
SAMPLE = ROOT / "data" / "changshou-rural" / "2023"

TYPE_WORDS = {"string[python]": "text", "str": "text", "float64": "number", "int64": "integer",
              "bool": "boolean"}


def sections(text: str) -> dict[str, str]:
    """Body of each `### `file` …` section, by file name."""
    out = {}
    parts = re.split(r"^### ", text, flags=re.M)
    for part in parts[1:]:
        m = re.match(r"`([^`]+)`", part)
        if m:
            out[m.group(1)] = part
    return out


def first_table(body: str) -> list[dict[str, str]]:
    """Rows of the first markdown table in ``body`` as dicts keyed by the header cells."""
    lines = body.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("|"))
    block = []
    for ln in lines[start:]:
        if not ln.startswith("|"):
            break
        block.append([c.strip() for c in ln.strip().strip("|").split("|")])
    header, rows = block[0], block[2:]
    assert set(block[1][0]) <= set("-: "), "second line of a table is its separator"
    return [dict(zip(header, r, strict=True)) for r in rows]


def code_blocks(text: str) -> list[tuple[str, list[str]]]:
    """(info string, lines) of every fenced block."""
    return [(m.group(1).strip(), m.group(2).splitlines())
            for m in re.finditer(r"^```([^\n]*)\n(.*?)^```", text, flags=re.M | re.S)]


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def documented(doc) -> dict[str, list[dict[str, str]]]:
    secs = sections(doc)
    return {file: first_table(body) for file, body in secs.items() if file.endswith(".csv")}


def test_every_table_file_has_a_section(documented):
    assert set(documented) == {t.file for t in DOCUMENTED.values()}


@pytest.mark.parametrize("name", list(DOCUMENTED))
def test_columns_match_the_model(documented, name):
    table = DOCUMENTED[name]
    rows = documented[table.file]
    doc_cols = [r["column"].strip("`") for r in rows]
    assert len(doc_cols) == len(set(doc_cols)), f"{table.file}: a column documented twice"
    model_cols = columns_of(table.model)
    missing = [c for c in model_cols if c not in doc_cols]
    extra = [c for c in doc_cols if c not in model_cols]
    assert not missing, f"{table.file}: columns of the model not in docs/data.md: {missing}"
    assert not extra, f"{table.file}: columns in docs/data.md the model lacks: {extra}"


@pytest.mark.parametrize("name", list(DOCUMENTED))
def test_types_and_blanks_match_the_model(documented, name):
    table = DOCUMENTED[name]
    schema = table.model.to_schema()
    for row in documented[table.file]:
        col = schema.columns[row["column"].strip("`")]
        assert row["type"] == TYPE_WORDS[str(col.dtype)], (table.file, col.name)
        # boolean cells are parsed before validation: blank reads as false (否)
        blank_ok = col.nullable or col.name in table.boolean
        assert row["blank"].split()[0] == ("yes" if blank_ok else "no"), (table.file, col.name)


@pytest.mark.parametrize("name", list(DOCUMENTED))
def test_allowed_values_and_uniqueness_are_documented(documented, name):
    table = DOCUMENTED[name]
    schema = table.model.to_schema()
    for row in documented[table.file]:
        col = schema.columns[row["column"].strip("`")]
        for check in col.checks:
            allowed = check.statistics.get("allowed_values")
            if allowed:
                assert all(f"`{v}`" in row["allowed values"] for v in allowed), col.name
        if col.unique:
            assert "unique" in row["allowed values"], (table.file, col.name)


def test_rules_reading_data_are_documented(doc):
    for name, kind in REGISTRY.items():
        if kind.reads in ("observations", "events"):
            assert f"`{name}`" in doc, f"rule {name} reads {kind.reads} but docs/data.md omits it"


def test_worked_example_is_taken_from_the_sample_data(doc):
    blocks = [(info.split()[1], lines) for info, lines in code_blocks(doc)
              if info.startswith("csv ")]
    by_file = {t.file: t for t in TABLES.values()}
    seen = set()
    for file, lines in blocks:
        assert file in by_file, file
        seen.add(file)
        path = SAMPLE / file
        if path.exists():
            actual = set(path.read_text(encoding="utf-8").splitlines())
            not_there = [ln for ln in lines if ln not in actual]
            assert not not_there, f"{file}: example lines not in {path}: {not_there}"
        assert lines[0].split(",") == columns_of(by_file[file].model), file
    assert seen == set(by_file), "every table has an example"
    (meta,) = [lines for info, lines in code_blocks(doc) if info == "yaml"]
    assert meta == (SAMPLE / "dataset.yaml").read_text(encoding="utf-8").splitlines()


def test_encodings_and_conventions_are_stated(doc):
    for phrase in ("UTF-8", "byte-order mark", "GB18030", "Blank is not 0", "`ref`",
                   "sample: true", "header as line 1"):
        assert phrase in doc, phrase

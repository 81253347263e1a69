"""The fast reader (``kaohe.columnar``, pyarrow) gives what the general reader (pandas' C
parser, the ``csv`` module) gives: the same frames, dtypes and Python types, the same
notes and the same located problems, on the bundled data and on random nasty tables; and
Parquet tables are read and validated the same way, located by their row numbers."""

from __future__ import annotations

import csv
import io
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from kaohe import columnar, dataset
from kaohe.cli import main
from kaohe.errors import KaoheError
from kaohe.pipeline import load, run
from kaohe.schemas import TABLES

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted(p for p in (ROOT / "data").glob("*/*") if (p / "units.csv").exists())
CS_PARAMS = ROOT / "params" / "changshou-rural" / "2023.yaml"
CS_DATA = ROOT / "data" / "changshou-rural" / "2023"


def test_whitespace_is_what_str_strip_removes():
    assert "".join(
        c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()) == columnar.WHITESPACE


def both_ways(directory: Path, name: str, monkeypatch) -> tuple[tuple, tuple]:
    """read_table of one table through the fast reader, then through the general one."""
    notes: list = []
    fast = (*dataset.read_table(directory, name, notes), notes)
    with monkeypatch.context() as m:
        m.setattr(columnar, "csv_columns", lambda _data: None)
        notes = []
        general = (*dataset.read_table(directory, name, notes), notes)
    return fast, general


def assert_same(fast: tuple, general: tuple) -> None:
    f_frame, f_digest, f_problems, f_notes = fast
    g_frame, g_digest, g_problems, g_notes = general
    assert (f_digest, f_problems, f_notes) == (g_digest, g_problems, g_notes)
    assert (f_frame is None) == (g_frame is None)
    if f_frame is not None:
        assert_frame_equal(f_frame, g_frame, check_exact=True)
        for col in f_frame.columns:
            if f_frame[col].dtype == object:
                assert list(map(type, f_frame[col])) == list(map(type, g_frame[col])), col


@pytest.mark.parametrize("directory", BUNDLED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_bundled_tables_read_alike(directory, monkeypatch):
    for name in TABLES:
        assert_same(*both_ways(directory, name, monkeypatch))


CELLS = ["", " ", "\u3000", "a", "b", " a ", "a\u3000", "r01", "r04", "4.5", " 4.5 ", "-1",
         "0", "1", "1e3", "nan", "inf", "-inf", "1e999", "四点五", "４．５", "85%", "1,200",
         ".5", "5.", "+2", "是", "否", "true", "lead", "responsible", "2019", "1948",
         "甲镇", "\"", ",", "a,b", "x\ny", "x\r\ny", "x\ry", "  \n", "<b>", "=1+1"]

HEADERS = {
    "observations": ["unit_id", "indicator_id", "source", "item", "value", "note"],
    "events": ["unit_id", "indicator_id", "type", "work", "value", "date", "description"],
    "units": ["unit_id", "name", "kind", "region"],
    "roles": ["item_id", "unit_id", "role"],
    "self_scores": ["unit_id", "indicator_id", "points"],
    "history": ["year", "unit_id", "total", "rank", "group_size", "grade", "advanced"],
}


@st.composite
def tables(draw):
    name = draw(st.sampled_from(sorted(HEADERS)))
    header = list(HEADERS[name])
    if draw(st.booleans()):  # a column missing, added or renamed now and then
        header = draw(st.permutations(header + [draw(st.sampled_from(["remark", "值"]))]))
        header = header[: draw(st.integers(len(header) - 1, len(header)))]
    n = draw(st.integers(0, 6))
    small = st.sampled_from(CELLS[:12] + ["a", "b"])
    rows = [[draw(st.one_of(st.sampled_from(CELLS), small)) for _ in header] for _ in range(n)]
    buf = io.StringIO()
    csv.writer(buf, lineterminator=draw(st.sampled_from(["\n", "\r\n"]))).writerows(
        [header] + rows)
    text = buf.getvalue()
    if draw(st.booleans()):
        text = text.rstrip("\r\n")  # no line break at the end
    bom = draw(st.booleans())
    return name, ("\ufeff" if bom else "") + text


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(tables())
def test_random_tables_read_alike(tmp_path, monkeypatch, table):
    name, text = table
    d = tmp_path / "d"
    d.mkdir(exist_ok=True)
    (d / TABLES[name].file).write_bytes(text.encode("utf-8"))
    assert_same(*both_ways(d, name, monkeypatch))


HEAD = b"unit_id,indicator_id,source,item,value,note"


@pytest.mark.parametrize("body", [
    b"\na,r01,x,,1,\n\nb,r01,x,,2,\n",  # a blank line between rows
    b"\na,r01,x,,1,\nb,r01,x,,2,\n\n\n",  # blank lines at the end
    b"\r\na,r01,x,,1,\r\n\r\nb,r01,x,,2,\r\n",  # the same, Windows line ends
    b"\na,r01,x,,1,\n   \nb,r01,x,,2,\n",  # a line of blanks
    b"\na,r01,x,,1,\n,,,,,\nb,r01,x,,2,\n",  # a line of separators
    b"\ra,r01,x,,1,\rb,r01,x,,2,\r",  # old Mac line ends: carriage returns alone
    b"\na,r01,x,,1,\rb,r01,x,,2,\n",  # one carriage return alone ends a row
    b"\r\na,r01,x,,1,\r\nb,r01,x,,2,\r",  # the last line ends with one
    b"\na,r01,x,,1,a\rb\n",  # inside an unquoted cell
    b'\na,r01,x,,1,"a\rb"\nb,r01,x,,2,\n',  # inside a quoted cell
    b'\r\na,r01,x,,1,"a\r\nb"\r\nb,r01,x,,2,\r\n',  # a quoted line break, Windows
    b'\na,r01,x,,1,"a\n\nb"\n\nb,r01,x,,2,\n',  # a quoted blank line, then a blank one
])
def test_line_ends_and_blank_lines_read_alike(tmp_path, monkeypatch, body):
    """pyarrow ends rows at a carriage return alone and reads a blank line as a row of
    blanks; the general reader refuses the one and drops the other with a note: the fast
    path hands such files over, so both ways give the same frame, notes and problems."""
    d = tmp_path / "d"
    d.mkdir()
    (d / "observations.csv").write_bytes(HEAD + body)
    assert_same(*both_ways(d, "observations", monkeypatch))


def test_quoted_line_breaks_keep_line_numbers(tmp_path, monkeypatch):
    d = tmp_path / "d"
    d.mkdir()
    (d / "observations.csv").write_text(
        'unit_id,indicator_id,source,item,value,note\n'
        'a,r01,x,,1,"two\nlines"\n'
        'b,r01,x,,四点五,\n', encoding="utf-8")
    fast, general = both_ways(d, "observations", monkeypatch)
    assert_same(fast, general)
    assert [p.row for p in fast[2]] == ["4"]
    assert list(fast[0]["ref"]) == ["observations.csv:2", "observations.csv:4"]


@pytest.mark.parametrize("cell", [
    b"\xff", b"\xed\xa0\x80", b"\xc0\x80", b"\xf4\x90\x80\x80", b"\xe8\xaf",
    "评审".encode("gb18030"), b'"\xe8\xaf\x84\xff"', b"\xef\xbf\xbf"])
def test_bytes_not_utf8_refused_as_decode_csv_says(tmp_path, monkeypatch, cell):
    """The fast path does not decode the file in Python to validate it: pyarrow refuses
    what is not UTF-8 (a lone surrogate, an overlong form, a GB18030 cell …) and the
    general reader decodes and says what is wrong, exactly as when every file was decoded
    first; a noncharacter (U+FFFF) is UTF-8 for both."""
    d = tmp_path / "d"
    d.mkdir()
    (d / "observations.csv").write_bytes(
        b"unit_id,indicator_id,source,item,value,note\n"
        b"a,r01,x,,1,ok\nb,r01,x,,2," + cell + b"\n")
    fast, general = both_ways(d, "observations", monkeypatch)
    assert_same(fast, general)
    raw = (d / "observations.csv").read_bytes()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        assert columnar.csv_columns(raw) is None  # then GB18030 throughout, or refused
    else:
        assert columnar.csv_columns(raw) is not None


def test_table_read_in_chunks_reads_alike(tmp_path, monkeypatch):
    """A file larger than pyarrow's block (1 MB) is read in several chunks, each with its
    own dictionary of texts: the same frame, notes and problems as the general reader,
    including a source first seen in the last chunk, a trimmed cell and a bad number."""
    d = tmp_path / "d"
    d.mkdir()
    lines = ["unit_id,indicator_id,source,item,value,note"]
    n = 80_000
    for i in range(n):
        source = f"评审组{i * 7 // n}"  # new texts appear chunk after chunk
        lines.append(f"u{i % 997:04d},r{i % 30:02d},{source},,{(i % 100) / 10},"
                     + ("材料不完整" if i % 53 == 0 else ""))
    lines[n - 5] = lines[n - 5].replace(",,", ", 补充 ,", 1)
    lines[n - 2] = "u0001,r01,后来者,,四点五,"
    (d / "observations.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert (d / "observations.csv").stat().st_size > 1_500_000
    raw = (d / "observations.csv").read_bytes()
    assert pcsv.read_csv(pa.BufferReader(raw)).column(0).num_chunks > 1  # as pyarrow reads it
    cols = columnar.csv_columns(raw)  # one dictionary per column, whatever the chunks
    assert cols is not None and "后来者" in cols.cells[2].dictionary.to_pylist()
    assert cols.cells[2].dictionary.to_pylist().count("评审组0") == 1
    fast, general = both_ways(d, "observations", monkeypatch)
    assert_same(fast, general)
    assert [p.row for p in fast[2]] == [str(n - 1)] and fast[3]
    lines[n - 2] = "u0001,r01,后来者,,4.5,"
    (d / "observations.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    fast, general = both_ways(d, "observations", monkeypatch)
    assert_same(fast, general)
    assert fast[0] is not None and fast[0]["source"].iloc[n - 3] == "后来者"


# -- Parquet ---------------------------------------------------------------------------


def as_parquet(directory: Path, name: str, edit=None) -> Path:
    """Replace ``<table>.csv`` by ``<table>.parquet``: text as strings, numbers as doubles."""
    path = directory / TABLES[name].file
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for col in TABLES[name].numeric:
        frame[col] = pd.to_numeric(frame[col].replace("", None))
    if edit:
        edit(frame)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False),
                   path.with_suffix(".parquet"))
    path.unlink()
    return path.with_suffix(".parquet")


@pytest.fixture()
def data(tmp_path) -> Path:
    d = tmp_path / "data"
    shutil.copytree(CS_DATA, d)
    return d


def test_parquet_scores_as_csv(data):
    csv_run = run(CS_PARAMS, data)
    as_parquet(data, "observations")
    as_parquet(data, "units")
    pq_run = run(CS_PARAMS, data)
    assert_frame_equal(pq_run.scores.totals, csv_run.scores.totals)
    details = ["unit_id", "indicator_id", "points", "reason"]
    assert_frame_equal(pq_run.scores.details[details], csv_run.scores.details[details])
    assert "observations.parquet" in pq_run.data.hashes
    assert pq_run.data.observations["ref"].iloc[0] == "observations.parquet:1"


def test_parquet_problems_name_the_row(data):
    def bad(frame):
        frame.loc[2, "value"] = 99.0  # the third row: above what r04's rater scores out of
        frame.loc[4, "indicator_id"] = "r044"

    as_parquet(data, "observations", bad)
    problems = {(Path(p.file).name, p.row, p.column) for p in
                pytest.raises(KaoheError, load, CS_PARAMS, data).value.problems}
    assert ("observations.parquet", "5", "indicator_id") in problems
    assert any(f == "observations.parquet" and r == "3" and c == "value"
               for f, r, c in problems), problems


def test_parquet_missing_column_and_row_accounting(data, capsys):
    as_parquet(data, "observations", lambda f: f.pop("note"))
    code = main(["score", str(CS_PARAMS), "--data", str(data), "--out", str(data / "out")])
    out, err = capsys.readouterr()
    assert code == 1
    assert "observations.parquet::note: 缺少必需的列" in err
    n = pq.ParquetFile(data / "observations.parquet").metadata.num_rows
    assert f"observations {n}（拒绝 {n}）" in out


def test_csv_and_parquet_of_one_table_refused(data):
    shutil.copy(data / "observations.csv", data / "keep.csv")
    as_parquet(data, "observations")
    shutil.copy(data / "keep.csv", data / "observations.csv")
    problems = pytest.raises(KaoheError, load, CS_PARAMS, data).value.problems
    assert [p.message for p in problems if p.file.endswith("observations.parquet")] == [
        "与 observations.csv 重复：同一张表只能有一个文件，请删除其中一个"]


def stored(frame: pd.DataFrame, path: Path, types: dict[str, pa.DataType]) -> None:
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False,
                                        schema=pa.schema(types)), path)


@pytest.mark.parametrize("value_type", [pa.float64(), pa.int64(), pa.float32()],
                         ids=str)
def test_parquet_numbers_and_dictionaries_read_as_their_text(data, value_type):
    """Numbers stored as numbers and text read dictionary-encoded give the frame, notes and
    problems of the same Parquet file with every column stored as text."""
    frame = pd.read_csv(data / "observations.csv", dtype=str, keep_default_na=False)
    n = len(frame)
    values = pd.to_numeric(frame["value"].replace("", None))
    values = values.round() if value_type == pa.int64() else values + 0.1
    values.iloc[1] = None  # a missing number: blank, as in a CSV
    if value_type == pa.int64():
        values = values.astype("Int64")
    frame["value"] = values
    frame.loc[0, "note"] = None  # a missing text: blank too
    frame.loc[2, "source"] = " 评审组 "  # trimmed, with a note
    (data / "observations.csv").unlink()
    texts = {c: pa.string() for c in frame.columns}
    stored(frame, data / "observations.parquet", {**texts, "value": value_type})
    native = (*dataset.read_table(data, "observations", notes := []), notes)
    as_text = frame.astype(object).where(frame.notna(), None)
    as_text["value"] = [None if pd.isna(v) else str(int(v)) if value_type == pa.int64()
                        else str(np.float32(v)) if value_type == pa.float32()
                        else repr(float(v)) for v in frame["value"]]
    stored(as_text, data / "observations.parquet", texts)
    text = (*dataset.read_table(data, "observations", notes := []), notes)
    assert_same((native[0], "", *native[2:]), (text[0], "", *text[2:]))  # files differ
    assert native[0] is not None and len(native[0]) == n
    assert native[0]["value"].isna().iloc[1] and native[0]["note"].iloc[0] is None
    assert native[3] and "第3行 source" in native[3][0].message


def test_parquet_nan_and_infinity_are_refused_where_they_are(data):
    frame = pd.read_csv(data / "observations.csv", dtype=str, keep_default_na=False)
    frame["value"] = pd.to_numeric(frame["value"].replace("", None))
    frame.loc[1, "value"] = float("nan")
    frame.loc[3, "value"] = float("inf")
    (data / "observations.csv").unlink()
    types = {c: pa.string() for c in frame.columns} | {"value": pa.float64()}
    table = pa.Table.from_pandas(frame, preserve_index=False, schema=pa.schema(types))
    # from_pandas reads NaN as missing; store a real NaN in row 2
    value = table.column("value").combine_chunks().fill_null(float("nan"))
    pq.write_table(table.set_column(table.schema.get_field_index("value"), "value", value),
                   data / "observations.parquet")
    _, _, problems = dataset.read_table(data, "observations")
    where = {(p.row, p.column) for p in problems}
    assert {("2", "value"), ("4", "value")} <= where, problems


@pytest.mark.parametrize("row, declined", [
    ("u01,r01,评审组1,,3\x0b5,", True),  # a vertical tab (Word's Shift+Enter) in a number
    ("u01,r01,评审\x00组1,,3.5,", True),  # a NUL inside a text
    ('u01,r01,"评审组1\x1f",,3.5,', True),  # inside a quoted cell
    ("u01,r01,评审组1,,3.5,备注\t有制表符", False),  # a tab is text, not a control character
])
def test_control_characters_are_found_among_distinct_values(row, declined):
    """The fast reader looks for control characters in each column's distinct values, not in
    every byte: any cell holding one sends the file the general way, which locates it."""
    raw = ("unit_id,indicator_id,source,item,value,note\n"
           "u00,r01,评审组1,,3.5,\n" + row + "\n").encode()
    assert (columnar.csv_columns(raw) is None) == declined


@pytest.mark.parametrize("rows, blank", [
    (["u00,r01,a,,1,", ",,,,,"], True),
    (["u00,r01,a,,1,", ' ,\u3000,"",\t, , '], True),  # blank once trimmed, quotes and all
    (["u00,r01,a,,1,", ",r01,,,,"], False),  # one cell holds text
    (["u00,r01,a,,1,", "u01,,,,,"], False),
])
def test_a_row_blank_in_every_column_is_found_from_the_codes(rows, blank):
    """A row of separators only (``csvtext.tidy`` drops it, with a note) is found from each
    column's blank codes; a column without any blank value rules it out."""
    raw = ("unit_id,indicator_id,source,item,value,note\n" + "\n".join(rows) + "\n").encode()
    cols = columnar.csv_columns(raw)
    assert cols is not None and columnar.has_blank_row(cols) == blank


def test_a_repeated_header_is_looked_for_only_where_each_column_holds_its_name():
    header = "unit_id,indicator_id,value"
    both = columnar.csv_columns(f"{header}\nu1,r1,2\nunit_id,indicator_id,value\n".encode())
    apart = columnar.csv_columns(f"{header}\nunit_id,r1,2\nu1,indicator_id,value\n".encode())
    none = columnar.csv_columns(f"{header}\nu1,r1,2\n".encode())
    names = header.split(",")
    assert both is not None and columnar.may_repeat(both, names)
    assert apart is not None and columnar.may_repeat(apart, names)  # then the bytes tell
    assert none is not None and not columnar.may_repeat(none, names)
    assert not columnar.may_repeat(both, names[:2])

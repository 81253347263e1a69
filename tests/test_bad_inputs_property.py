"""Random malformed tables and workbooks fed to validation (hypothesis): never a traceback,
always a structured answer — either located problems (file, row, column, a message) and
nothing written, or rows written that the whole data directory then accepts.

The tables are CSVs with headers and cells drawn from a pool of nasty values (full-width
digits, percentages, formulas, HTML, blanks, ids of other tables, random text) in random
encodings; the workbooks are a filled template with random edits: cells overwritten (in the
data, instructions and metadata sheets), sheets renamed, removed or added, cells merged, rows
and columns inserted or deleted, the file cut short.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import tempfile
from pathlib import Path

import pytest
from excel_helpers import CS_DATA, CS_PARAMS, changshou, fill, template
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from kaohe.dataset import load_dataset
from kaohe.errors import KaoheError, Problem
from kaohe.excel import layout
from kaohe.excel.importer import Imported, import_files
from kaohe.normalize import CellError, UnitIndex, ValueSpec, parse_date, parse_number
from kaohe.pipeline import load

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
WRITTEN = ("observations.csv", "events.csv", "not_applicable.csv")

COLUMNS = ["unit_id", "indicator_id", "source", "item", "value", "note", "type", "work", "date",
           "description", "reason", "name", "kind", "", "值", "unit_id "]
NASTY = ["", " ", "\u3000", "fengcheng", "yanjia", "凤城街道", "鳳城街道", "r01", "r04", "r19",
         "r22", "r16", "bonus", "veto", "inspections", "national_pilot", "return_to_poverty",
         "4.5", "-1", "6", "0", "1", "９８", "４．５", "85%", "97.96%", "1,200", "inf", "NaN",
         "1e999", "四点五", "=1+1", "#DIV/0!", "<script>alert(1)</script>", "../../etc/x",
         "2023-06-12", "45089", "2023年6月12日", "是", "达到", "区民政局", "\"", ",", "\n"]
cell_text = st.one_of(st.sampled_from(NASTY), st.text(max_size=12))


def _workspace() -> Path:
    root = Path(tempfile.mkdtemp(prefix="kaohe-prop-"))
    return changshou(root)


@pytest.fixture(scope="module")
def workspace():
    root = _workspace()
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def filled(workspace) -> bytes:
    """区民政局's template filled from the bundled data, as bytes to edit."""
    import os

    here = Path.cwd()
    os.chdir(workspace)
    try:
        return fill(template(workspace, "区民政局")).read_bytes()
    finally:
        os.chdir(here)


def _reset(root: Path) -> None:
    for name in WRITTEN:
        (root / CS_DATA / name).unlink(missing_ok=True)
    shutil.rmtree(root / CS_DATA / "replaced", ignore_errors=True)


def check_answer(root: Path, result: Imported) -> None:
    """The one property: located problems and nothing written, or data the loader accepts."""
    assert result.read == result.used + result.rejected
    assert all(a.read >= a.rejected >= 0 for a in result.accounts)
    if result.problems:
        for p in result.problems:
            assert isinstance(p, Problem) and p.file and p.message
        assert not any((root / CS_DATA / n).exists() for n in WRITTEN)
    else:
        assert result.rejected == 0
        load(root / CS_PARAMS, root / CS_DATA)  # what was written passes every check
    for n in result.notes:
        assert isinstance(n, Problem) and n.message


def run_import(root: Path, path: Path) -> None:
    _reset(root)
    result = import_files(root / CS_PARAMS, [path], data_dir=root / CS_DATA)
    check_answer(root, result)
    _reset(root)


# -- tables ----------------------------------------------------------------------------------


@SETTINGS
@given(header=st.lists(st.sampled_from(COLUMNS), min_size=0, max_size=8),
       keep_real=st.sampled_from(["observations", "events", "not_applicable", None]),
       rows=st.lists(st.lists(cell_text, max_size=9), max_size=6),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "latin-1"]),
       name=st.sampled_from(WRITTEN + ("数据.csv",)))
def test_random_tables_give_located_problems(workspace, header, keep_real, rows, encoding, name):
    real = {"observations": ["unit_id", "indicator_id", "source", "item", "value", "note"],
            "events": ["unit_id", "indicator_id", "type", "work", "value", "date", "description"],
            "not_applicable": ["unit_id", "indicator_id", "reason"]}
    if keep_real:
        header = real[keep_real]
    buf = io.StringIO()
    import csv

    w = csv.writer(buf, lineterminator="\n")
    if header:
        w.writerow(header)
    for r in rows:
        w.writerow(r)
    try:
        raw = buf.getvalue().encode(encoding)
    except UnicodeEncodeError:
        raw = buf.getvalue().encode("utf-8", errors="replace")
    path = workspace / "incoming" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(raw)
    run_import(workspace, path)
    # the same bytes as a data directory's own table: a Dataset or a KaoheError, nothing else
    if name in WRITTEN:
        data = workspace / "as-data"
        shutil.rmtree(data, ignore_errors=True)
        shutil.copytree(workspace / CS_DATA, data)
        shutil.copyfile(path, data / name)
        try:
            load_dataset(data)
            load(workspace / CS_PARAMS, data)
        except KaoheError as exc:
            assert exc.problems and all(p.file and p.message for p in exc.problems)


# -- workbooks --------------------------------------------------------------------------------

SHEETS = [layout.DATA, layout.INSTRUCTIONS, layout.META]
values = st.one_of(
    st.none(), st.integers(-10, 100000), st.floats(-1e6, 1e6, allow_nan=False),
    st.sampled_from(NASTY[:-2]), st.booleans(), st.just(dt.datetime(2023, 4, 5)),
    st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=10),
)
edits = st.one_of(
    st.tuples(st.just("set"), st.sampled_from(SHEETS), st.integers(1, 24), st.integers(1, 13),
              values),
    st.tuples(st.just("rename"), st.sampled_from(SHEETS), st.sampled_from(["Sheet1", "数据",
                                                                         "_kaohe2"])),
    st.tuples(st.just("remove"), st.sampled_from(SHEETS)),
    st.tuples(st.just("add"), st.sampled_from(["备用", "Sheet2"])),
    st.tuples(st.just("merge"), st.integers(1, 20), st.integers(1, 11), st.integers(0, 2),
              st.integers(0, 2)),
    st.tuples(st.just("insert_rows"), st.integers(1, 20)),
    st.tuples(st.just("delete_rows"), st.integers(1, 20)),
    st.tuples(st.just("insert_cols"), st.integers(1, 12)),
    st.tuples(st.just("delete_cols"), st.integers(1, 12)),
)


def apply(wb, edit) -> None:
    kind = edit[0]
    if kind == "set":
        _, sheet, r, c, v = edit
        if sheet in wb.sheetnames:
            wb[sheet].cell(r, c).value = v
    elif kind == "rename":
        if edit[1] in wb.sheetnames and edit[2] not in wb.sheetnames:
            wb[edit[1]].title = edit[2]
    elif kind == "remove":
        if edit[1] in wb.sheetnames and len(wb.sheetnames) > 1:
            wb.remove(wb[edit[1]])
    elif kind == "add":
        if edit[1] not in wb.sheetnames:
            wb.create_sheet(edit[1])
    elif layout.DATA in wb.sheetnames:
        ws = wb[layout.DATA]
        if kind == "merge":
            _, r, c, dr, dc = edit
            if dr or dc:
                ws.merge_cells(start_row=r, start_column=c, end_row=r + dr, end_column=c + dc)
        else:
            getattr(ws, kind)(edit[1])


@SETTINGS
@given(changes=st.lists(edits, min_size=1, max_size=5), cut=st.sampled_from([None, None, None,
                                                                            0, 100, 2000]))
def test_random_workbooks_give_located_problems(workspace, filled, changes, cut):
    wb = load_workbook(io.BytesIO(filled))
    for e in changes:
        apply(wb, e)
    buf = io.BytesIO()
    try:
        wb.save(buf)
    except (ValueError, TypeError, KeyError, IndexError):
        assume(False)  # an edit openpyxl itself cannot save is not a file anyone can send
    raw = buf.getvalue() if cut is None else buf.getvalue()[:cut]
    path = workspace / "incoming" / "模板.xlsx"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(raw)
    run_import(workspace, path)


# -- single cells --------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(v=st.one_of(cell_text, st.floats(), st.integers(), st.booleans(), st.none(),
                   st.datetimes()),
       spec=st.sampled_from([ValueSpec(), ValueSpec("评分", 0.0, 5.0, hi_is_max=True),
                             ValueSpec("比率", 0.0, 1.0, percent="rate"),
                             ValueSpec("达标", choices=(0.0, 1.0)), ValueSpec(lo=None)]))
def test_a_cell_is_read_or_refused_in_words(v, spec):
    for fn in (lambda x: parse_number(x, spec), parse_date,
               UnitIndex({"fengcheng": "凤城街道", "yanjia": "晏家街道"}).by_name):
        try:
            got = fn(v)
        except CellError as exc:
            assert str(exc)
            continue
        assert all(isinstance(n, str) and n for n in got.notes)
    try:
        got = parse_number(v, spec)
    except CellError:
        return
    if got.value is not None:  # what is read is a number the spec allows
        assert got.value == got.value and abs(got.value) != float("inf")
        if spec.choices:
            assert got.value in spec.choices
        if spec.lo is not None:
            assert got.value >= spec.lo
        if spec.hi is not None:
            assert got.value <= spec.hi + 1e-9

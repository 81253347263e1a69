"""Saving workbooks reproducibly, and the cell styles templates and results share.

openpyxl stamps the save time into the file (the zip entries' dates and the document's
``modified`` property); ``save`` fixes both, so the same inputs give the same bytes, as
every other output of kaohe does.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.writer.excel import ExcelWriter

FIXED_TIME = dt.datetime(2000, 1, 1)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
INPUT_FILL = PatternFill("solid", fgColor="FFF7D6")
HEADER_FONT = Font(bold=True)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
WRAP = Alignment(vertical="top", wrap_text=True)
TWO_DECIMALS = "0.00"


def save(wb: Workbook, path: Path) -> Path:
    """Write ``wb`` to ``path`` with fixed timestamps: byte-identical for the same content.
    kaohe writes no formulas: a text cell openpyxl took for one (a unit name ``=1+1``) is
    written as text."""
    for ws in wb.worksheets:  # every cell, so the private dict rather than iter_rows' grid
        for cell in ws._cells.values():
            if cell.data_type == "f" and isinstance(cell.value, str):
                cell.data_type = "s"  # user text starting with "=" stays text, never a formula
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.creator = "kaohe"
    wb.properties.lastModifiedBy = "kaohe"
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, src.read(info.filename))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())
    return path


def display_width(text: object) -> int:
    """Columns a text takes in a spreadsheet: CJK and full-width characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def fit_width(texts, lo: float = 6, hi: float = 60) -> float:
    """A column width that shows the longest text (within bounds)."""
    longest = max((display_width(t) for t in texts if t is not None), default=0)
    return float(min(hi, max(lo, longest + 2)))

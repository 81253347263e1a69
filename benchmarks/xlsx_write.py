"""Where ``results.xlsx`` spends its time, and what the ways of writing its largest sheet
(得分明细, one row per unit × indicator) cost, side by side in one run.

Not a test: run it by hand (``.venv/bin/python benchmarks/xlsx_write.py``); the figures go
into docs/performance.md. A seeded synthetic year (``score_scale.py``: 2,000 units × 30
indicators × 5 raters by default, 64,000 detail rows, which fit a worksheet) is written as
CSV, loaded and scored as ``kaohe score`` does; then, round after round:

- ``write_results`` as ``kaohe score`` runs it, split into making the cells (the bulletin,
  the details) and ``workbook.save`` (openpyxl serialising every cell, then the zip);
- the details sheet alone, three ways: the workbook as today (cells made, then saved);
  openpyxl's write-only mode (cells serialised as appended; its sheet has no
  ``<dimension>`` element, so its bytes are not today's); and the sheet's ``<sheetData>``
  made in bulk, each distinct value of a column escaped once (hand-written XML, the same
  text openpyxl's lxml writer gives, checked against today's bytes at the end).

CPU seconds (``time.process_time``) are printed beside wall seconds: on a shared machine
they are the steadier figure.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

sys.path.insert(0, str(Path(__file__).resolve().parent))
from score_scale import build_dataset, build_rubric, write_csv_dir  # noqa: E402

from kaohe import pipeline  # noqa: E402
from kaohe.excel import results  # noqa: E402
from kaohe.excel.workbook import save  # noqa: E402


def _escape(text: str) -> str:
    """Text as lxml's incremental writer puts it in an ASCII document."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\r", "&#13;").encode("ascii", "xmlcharrefreplace").decode("ascii")


def _cell_tail(value: object, style: int | None) -> str | None:
    """A cell's XML after its ``r`` attribute, as openpyxl writes it (None: not written)."""
    s = "" if style is None else f' s="{style}"'
    if value is None:
        return None if style is None else f'{s} t="n"></c>'
    if isinstance(value, float):
        return f'{s} t="n"><v>{value:.16g}</v></c>'
    text = str(value)
    if text == "":
        return f'{s} t="inlineStr"></c>'
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'{s} t="inlineStr"><is><t{space}>{_escape(text)}</t></is></c>'


def bulk_sheet_data(details: pd.DataFrame, header: int, number: int, wrap: int) -> str:
    """The details sheet's ``<sheetData>``, each distinct value of a column made once;
    ``header``, ``number``, ``wrap``: the style ids openpyxl gave those cells."""
    keys = [k for k in results.DETAIL_HEADERS if k in details.columns]
    letters = [get_column_letter(j) for j in range(1, len(keys) + 1)]
    columns = []
    for k in keys:
        memo: dict[tuple[type, object], str | None] = {}
        cells = []
        for v in results._plain_column(details[k]):
            key = (type(v), v)
            if key not in memo:
                style = (wrap if k in ("reason", "inputs") else
                         number if k in results.DETAIL_NUMBERS and isinstance(v, float) else None)
                memo[key] = _cell_tail(v, style)
            cells.append(memo[key])
        columns.append(cells)
    parts = ['<sheetData><row r="1">']
    parts += [f'<c r="{c}1"{_cell_tail(results.DETAIL_HEADERS[k], header)}'
              for c, k in zip(letters, keys, strict=True)]
    parts.append("</row>")
    for i, row in enumerate(zip(*columns, strict=True), start=2):
        n = str(i)
        parts.append(f'<row r="{n}">' + "".join(
            f'<c r="{c}{n}"{t}' for c, t in zip(letters, row, strict=True) if t is not None)
            + "</row>")
    parts.append("</sheetData>")
    return "".join(parts)


def _timed(fn: Callable[[], object]) -> tuple[float, float, object]:
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - w, time.process_time() - c, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=2_000)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args(argv)
    rubric, raw = build_rubric(30)
    data = build_dataset(rubric, args.units, 5, 20231231)
    with tempfile.TemporaryDirectory(prefix="kaohe-xlsx-") as tmp:
        params, data_dir = write_csv_dir(raw, data, Path(tmp))
        run = pipeline.run(params, data_dir)
        s, rub = run.scores, run.loaded.rubric
        print(f"{args.units:,} units: {len(s.details):,} detail rows, {len(s.totals):,} totals")
        out = Path(tmp) / "out"
        times: dict[str, list[tuple[float, float]]] = {}

        def note(label: str, wall: float, cpu: float) -> None:
            times.setdefault(label, []).append((wall, cpu))

        for _ in range(args.rounds):
            wb = Workbook()
            ws = wb.active
            ws.title = results.BULLETIN
            note("results: bulletin cells", *_timed(
                lambda ws=ws: results._bulletin(ws, rub, s.totals, s.nodes))[:2])
            note("results: details cells", *_timed(
                lambda wb=wb: results._details(wb.create_sheet(results.DETAILS), s.details))[:2])
            results._about(wb.create_sheet(results.ABOUT), rub, {})
            note("results: save", *_timed(lambda wb=wb: save(wb, out / "results.xlsx"))[:2])

            def today() -> None:
                wb = Workbook()
                results._details(wb.active, s.details)
                save(wb, out / "today.xlsx")

            def write_only() -> None:
                wb = Workbook(write_only=True)
                ws = wb.create_sheet(results.DETAILS)
                keys = [k for k in results.DETAIL_HEADERS if k in s.details.columns]
                ws.append([results.DETAIL_HEADERS[k] for k in keys])
                for row in zip(*(results._plain_column(s.details[k]) for k in keys), strict=True):
                    ws.append(row)
                wb.save(out / "write-only.xlsx")

            note("details: openpyxl, as today", *_timed(today)[:2])
            note("details: openpyxl write-only", *_timed(write_only)[:2])
            wall, cpu, bulk = _timed(lambda: bulk_sheet_data(s.details, 1, 8, 9))
            note("details: <sheetData> in bulk", wall, cpu)

        print(f"{'phase':<34}{'best s':>8}{'median s':>10}{'CPU s':>8}")
        for label, v in times.items():
            print(f"{label:<34}{min(v)[0]:>8.2f}{statistics.median(w for w, _ in v):>10.2f}"
                  f"{min(v)[1]:>8.2f}")
        sheet = zipfile.ZipFile(out / "results.xlsx").read("xl/worksheets/sheet2.xml").decode()
        start, end = sheet.index("<sheetData>"), sheet.index("</sheetData>") + len("</sheetData>")
        print("bulk <sheetData> identical to results.xlsx's details sheet:",
              sheet[start:end] == bulk)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

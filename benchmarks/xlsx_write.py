"""Where ``results.xlsx`` spends its time, and what the ways of writing its largest sheet
(得分明细, one row per unit × indicator) cost, side by side in one run.

Not a test: run it by hand (``.venv/bin/python benchmarks/xlsx_write.py``); the figures go
into docs/performance.md. A seeded synthetic year (``score_scale.py``: 2,000 units × 30
indicators × 5 raters by default, 64,000 detail rows, which fit a worksheet) is written as
CSV, loaded and scored as ``kaohe score`` does; then, round after round:

- ``write_results`` as ``kaohe score`` runs it, split into making the cells (the bulletin,
  the details) and ``workbook.save`` (openpyxl serialising the cells, then the zip);
- the details sheet alone, three ways: every cell an openpyxl cell appended and written
  one by one (as ``kaohe`` did before ``workbook.BulkRows``); openpyxl's write-only mode
  (cells serialised as appended; its sheet has no ``<dimension>`` element, so its bytes
  are not ``kaohe``'s); and ``BulkRows`` (openpyxl writes one cell per distinct value of a
  column, its XML repeated), whose file is compared byte for byte with the first.

CPU seconds (``time.process_time``) are printed beside wall seconds: on a shared machine
they are the steadier figure.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).resolve().parent))
from score_scale import build_dataset, build_rubric, write_csv_dir  # noqa: E402

from kaohe import pipeline  # noqa: E402
from kaohe.excel import results  # noqa: E402
from kaohe.excel.workbook import (  # noqa: E402
    TWO_DECIMALS,
    WRAP,
    BulkRows,
    SharedStyle,
    append_rows,
    save,
)


def details_sheet(details: pd.DataFrame, path: Path, bulk: bool) -> None:
    """A workbook of the details sheet alone, its rows as ``BulkRows`` or cell by cell."""
    wb = Workbook()
    ws = wb.active
    keys = [k for k in results.DETAIL_HEADERS if k in details.columns]
    ws.append([results.DETAIL_HEADERS[k] for k in keys])
    number, wrap = SharedStyle(number_format=TWO_DECIMALS), SharedStyle(alignment=WRAP)
    wraps = [wrap if k in ("reason", "inputs") else None for k in keys]
    numbers = [k in results.DETAIL_NUMBERS for k in keys]

    def style(j: int, value: object) -> SharedStyle | None:
        return number if numbers[j] and isinstance(value, float) else wraps[j]

    values = [results._plain_column(details[k]) for k in keys]
    if bulk:
        BulkRows(ws, values, style)
    else:
        append_rows(ws, values, style)
    save(wb, path)


def write_only(details: pd.DataFrame, path: Path) -> None:
    """The details sheet in openpyxl's write-only mode (values only, no styles)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(results.DETAILS)
    keys = [k for k in results.DETAIL_HEADERS if k in details.columns]
    ws.append([results.DETAIL_HEADERS[k] for k in keys])
    for row in zip(*(results._plain_column(details[k]) for k in keys), strict=True):
        ws.append(row)
    wb.save(path)


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

            note("details: openpyxl cell by cell", *_timed(
                lambda: details_sheet(s.details, out / "cells.xlsx", bulk=False))[:2])
            note("details: openpyxl write-only", *_timed(
                lambda: write_only(s.details, out / "write-only.xlsx"))[:2])
            note("details: BulkRows", *_timed(
                lambda: details_sheet(s.details, out / "bulk.xlsx", bulk=True))[:2])

        print(f"{'phase':<34}{'best s':>8}{'median s':>10}{'CPU s':>8}")
        for label, v in times.items():
            print(f"{label:<34}{min(v)[0]:>8.2f}{statistics.median(w for w, _ in v):>10.2f}"
                  f"{min(v)[1]:>8.2f}")
        same = (out / "cells.xlsx").read_bytes() == (out / "bulk.xlsx").read_bytes()
        print("BulkRows file identical to the cell-by-cell file:", same)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

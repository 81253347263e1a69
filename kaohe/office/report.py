"""What the reports get from the office: the appeals of the year and, while a corrected
version is being published, its correction — written beside the score tables
(``office_appeals.csv``, ``office_correction.csv``) and read back into ``ReportData``.
Whether the returns are complete travels in provenance.json (``returns``)."""

from __future__ import annotations

from pathlib import Path

from . import corrections
from .appeals import read_appeals, table

APPEALS_FILE = "office_appeals.csv"
CORRECTION_FILE = "office_correction.csv"


def write_office_tables(result, data_dir: Path, directory: Path) -> list[Path]:
    """The appeals of ``data_dir`` and the pending correction (if any) into ``directory``."""
    written = []
    appeals = read_appeals(data_dir)
    if appeals:
        t = result.scores.totals
        names = dict(zip(t["unit_id"], t["name"], strict=True))
        path = Path(directory) / APPEALS_FILE
        table(appeals, result.loaded.rubric, names).to_csv(
            path, index=False, encoding="utf-8-sig", lineterminator="\n")
        written.append(path)
    pending = corrections.current()
    if pending is not None:
        path = Path(directory) / CORRECTION_FILE
        corrections.write_csv(pending, path)
        written.append(path)
    return written


__all__ = ["APPEALS_FILE", "CORRECTION_FILE", "write_office_tables"]

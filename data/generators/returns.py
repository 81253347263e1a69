"""returns.csv for every generated sample data directory: every department returned every
indicator it owes (材料报送), so reports of the bundled sample data are not drafts.

Run by ``data/generate.py`` after all the other generators (it reads the data they wrote)."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RECEIVED = "01-15 09:00:00"  # sample: returned on 15 January of the following year


def generate_returns(root: Path) -> list[Path]:
    from kaohe.office.returns import COLUMNS, owed, return_rows
    from kaohe.rubric import load_rubric
    from kaohe.rules import REGISTRY

    written = []
    for params in sorted(REPO.glob("params/*/*.yaml")):
        rubric = load_rubric(params).rubric
        directory = root / rubric.scheme / params.stem
        if not (directory / "units.csv").exists():
            continue
        rows = []
        for dept, leaves in owed(rubric).items():
            by_file: dict[str, list] = {}
            for leaf in leaves:
                by_file.setdefault(f"{REGISTRY[leaf.rule.kind].reads}.csv", []).append(leaf)
            for name, mine in by_file.items():
                path = directory / name
                counts: dict[str, int] = {}
                digest = ""
                if path.exists():
                    digest = hashlib.sha256(path.read_bytes()).hexdigest()
                    with path.open(encoding="utf-8-sig", newline="") as f:
                        for r in csv.DictReader(f):
                            counts[r["indicator_id"]] = counts.get(r["indicator_id"], 0) + 1
                rows += return_rows(dept, mine, path, digest, counts,
                                    f"{rubric.year + 1}-{RECEIVED}")
        target = directory / "returns.csv"
        with target.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(COLUMNS)
            for r in rows:
                w.writerow(["" if r[c] is None else ("1" if r[c] is True else "0" if r[c] is False
                                                    else str(r[c])) for c in COLUMNS])
        written.append(target)
    return written

"""Load a scheme-year (rubric + data), check it, score it, and record its provenance."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import __version__
from .dataset import Dataset, check_against, default_data_dir, load_dataset
from .engine import Scores, score
from .errors import KaoheError, Problem
from .rubric import LoadedRubric, load_rubric


@dataclass(frozen=True)
class Run:
    """A scored scheme-year with everything needed to reproduce it."""

    loaded: LoadedRubric
    data: Dataset
    scores: Scores

    @property
    def provenance(self) -> dict:
        r = self.loaded.rubric
        return {
            "scheme": r.scheme,
            "year": r.year,
            "period": r.period,
            "title": r.title,
            "rubric": self.loaded.path,
            "rubric_sha256": self.loaded.sha256,
            "data": self.data.directory,
            "data_sha256": self.data.hashes,
            "sample_data": self.data.sample,
            "kaohe_version": __version__,
            "commit": git_commit(),
        }


def load(params: Path | str, data_dir: Path | str | None = None) -> tuple[LoadedRubric, Dataset]:
    """Rubric and data, cross-checked; every problem of both in one KaoheError."""
    loaded = load_rubric(params)
    directory = Path(data_dir) if data_dir else default_data_dir(params, loaded.rubric)
    data = load_dataset(directory)
    problems = check_against(loaded.rubric, data, loaded.path)
    if problems:
        raise KaoheError(problems)
    return loaded, data


def run(params: Path | str, data_dir: Path | str | None = None) -> Run:
    loaded, data = load(params, data_dir)
    return Run(loaded, data, score(loaded.rubric, data, loaded.path))


def row_accounting(data: Dataset) -> dict[str, int]:
    """Rows read per table; a successful run uses them all (nothing is dropped silently)."""
    return {name: len(df) for name, df in data.tables.items() if len(df)}


def git_commit() -> str:
    """The commit of the code that scored, or 'unknown' outside a git checkout."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                             text=True, timeout=10, check=True)
        commit = out.stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", str(here)], cwd=here,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return commit + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


OUTPUTS = {
    "totals.csv": "totals",
    "details.csv": "details",
    "reasons.csv": "lines",
    "indicators.csv": "nodes",
    "flags.csv": "flags",
    "self_check.csv": "self_check",
}


def write_scores(result: Run, out: Path | str) -> list[Path]:
    """Write the score tables and provenance.json; the same inputs give the same bytes."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for file, attr in OUTPUTS.items():
        df: pd.DataFrame = getattr(result.scores, attr)
        path = out / file
        df.to_csv(path, index=False, encoding="utf-8-sig", float_format="%.4f", lineterminator="\n")
        written.append(path)
    prov = out / "provenance.json"
    prov.write_text(json.dumps(result.provenance, ensure_ascii=False, indent=2, sort_keys=True)
                    + "\n", encoding="utf-8")
    written.append(prov)
    return written


__all__ = ["Run", "load", "run", "write_scores", "row_accounting", "KaoheError", "Problem"]

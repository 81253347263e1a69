"""Load a scheme-year (rubric + data), check it, score it, and record its provenance."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from . import __version__
from .csvout import write_csv
from .dataset import Dataset, check_against, load_dataset, source_file
from .engine import Scores, score
from .errors import Code, DataError, KaoheError, Problem, RubricError, display_path
from .layout import Place
from .rubric import LoadedRubric, Rubric, load_rubric
from .rules import PeriodTotals


@dataclass(frozen=True)
class Run:
    """A scored scheme-year with everything needed to reproduce it."""

    loaded: LoadedRubric
    data: Dataset
    scores: Scores
    earlier: tuple[Run, ...] = ()  # earlier years scored to build the history table
    periods: tuple[Run, ...] = ()  # period rubrics (quarters, months) scored for period leaves
    returns: dict | None = None  # kaohe.office.returns: complete, or what is still lacking

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
            "history": self.history_provenance(),
            **({"periods": self.period_provenance()} if self.periods else {}),
            **({"returns": self.returns} if self.returns is not None else {}),
        }

    @property
    def draft(self) -> bool:
        """Scored with returns missing: every page says 草稿（材料未齐）, nothing is published."""
        return self.returns is not None and not self.returns.get("complete", False)

    def period_provenance(self) -> list[dict]:
        """Which period rubrics and data the period leaves (``period_results``) read."""
        return [{"period": r.loaded.rubric.period, "rubric": r.loaded.path,
                 "rubric_sha256": r.loaded.sha256, "data": r.data.directory,
                 "data_sha256": r.data.hashes} for r in self.periods]

    def history_provenance(self) -> dict:
        """Where the earlier years' results (往年结果) came from: a file, a computation, or none."""
        read = source_file("history", self.data.hashes)
        if read:
            return {"source": read}
        if not self.earlier:
            return {"source": "none"}
        return {"source": "computed", "runs": [
            {"year": r.loaded.rubric.year, "rubric": r.loaded.path,
             "rubric_sha256": r.loaded.sha256, "data": r.data.directory,
             "data_sha256": r.data.hashes}
            for r in self.earlier]}


def load(params: Path | str, data_dir: Path | str | None = None) -> tuple[LoadedRubric, Dataset]:
    """Rubric and data, cross-checked; every problem of both in one KaoheError."""
    from .office.tables import check_office

    loaded = load_rubric(params)
    directory = Place.of(params, loaded.rubric.scheme, data_dir).data
    year = re.match(r"(\d{4})(?!\d)", directory.resolve().name)
    if year and int(year.group(1)) != loaded.rubric.year:  # another year's data, by mistake
        raise KaoheError([Problem(display_path(directory), "", "",
                                  f"数据目录属于 {year.group(1)} 年度，评分细则（{loaded.path}）是 "
                                  f"{loaded.rubric.year} 年度：请用本年度的数据目录")])
    data = load_dataset(directory)
    problems = check_against(loaded.rubric, data, loaded.path)
    problems += check_office(loaded.rubric, directory, set(data.units["unit_id"]))
    if problems:
        raise DataError(problems)
    return loaded, data


def run(params: Path | str, data_dir: Path | str | None = None,
        cache: dict[str, Run] | None = None) -> Run:
    """Score a scheme-year. Rules over consecutive years (``history_flags``) need earlier
    results: without a history.csv in the data directory, the earlier years' rubrics in the
    same params directory are scored first (each once) and their totals become the history.
    Leaves that read period rubrics (``period_results``: 广元's quarterly contests) have those
    rubrics, beside ``params``, scored first on their own data; their totals are handed over.

    The rubrics beside it are read on the data beside its data directory, by stem
    (``kaohe.layout``): with ``data_dir`` = ``COPY/2021`` the quarters come from
    ``COPY/2021-Q1`` …, never from the bundled data.

    ``cache`` (optional, by rubric and data directory) shares runs between calls, so
    ``kaohe validate params/x/*.yaml`` scores each year once, not once per later year.
    """
    cache = {} if cache is None else cache
    path = Path(params)
    place = (Place(path, Path(data_dir)) if data_dir
             else Place.of(path, load_rubric(path).rubric.scheme))
    return _cached(place, cache)


def _cached(place: Place, cache: dict[str, Run], stack: tuple[str, ...] = ()) -> Run:
    if place.key not in cache:
        cache[place.key] = _run(place, cache, stack)
    return cache[place.key]


def _run(place: Place, cache: dict[str, Run], stack: tuple[str, ...] = ()) -> Run:
    loaded, data = load(place.params, place.data)
    periods = tuple(_period_runs(place, loaded, cache, stack + (place.key,)))
    earlier: tuple[Run, ...] = ()
    if not source_file("history", data.hashes):  # an explicit history.csv wins
        earlier = tuple(earlier_runs(place, loaded.rubric, history_years(loaded.rubric), cache))
        if earlier:
            data = replace(data, tables={**data.tables, "history": history_from_runs(earlier)})
    scores = score(loaded.rubric, data, loaded.path, period_totals(periods))
    from .office.returns import status

    returns = status(loaded.rubric, place.data).as_provenance()
    return Run(loaded, data, scores, earlier, periods, returns)


def period_stems(rubric: Rubric) -> list[tuple[str, str]]:
    """(leaf id, stem) of every period rubric the rubric's leaves read, first use first."""
    seen: dict[str, str] = {}
    for leaf in rubric.scored_leaves():
        if leaf.rule is not None:
            for stem in leaf.rule.period_stems():
                seen.setdefault(stem, leaf.id)
    return [(leaf_id, stem) for stem, leaf_id in seen.items()]


def _period_runs(place: Place, loaded: LoadedRubric, cache: dict[str, Run],
                 stack: tuple[str, ...]) -> list[Run]:
    """Runs of the period rubrics ``<stem>.yaml`` beside the rubric, on the data directories
    ``<stem>`` beside its data (each scored once), checked to be periods of the same scheme
    and year."""
    rubric, runs, problems = loaded.rubric, [], []
    for leaf_id, stem in period_stems(rubric):
        where = f"{leaf_id}.rule.periods"
        period = place.beside(stem)
        if not period.params.exists():
            problems.append(Problem(loaded.path, where, "",
                                    f"分期评分细则“{stem}”不存在（应为 {period.params}）",
                                    Code.PERIOD_MISSING))
            continue
        if period.key in stack:
            problems.append(Problem(loaded.path, where, "",
                                    f"分期评分细则“{stem}”又引用了正在计分的评分细则，形成循环",
                                    Code.PERIOD_MISSING))
            continue
        got = _cached(period, cache, stack).loaded
        if (got.rubric.scheme, got.rubric.year) != (rubric.scheme, rubric.year) \
                or not got.rubric.period:
            problems.append(Problem(got.path, "period", "",
                                    f"应为“{rubric.scheme}”{rubric.year}年度的分期评分细则（须有 period），"
                                    f"实为“{got.rubric.scheme}”{got.rubric.year}年度"
                                    + (f"分期“{got.rubric.period}”" if got.rubric.period else "，无 period"),
                                    Code.PERIOD_MISSING))
            continue
        runs.append(cache[period.key])
    if problems:
        raise RubricError(problems)
    return runs


def period_totals(runs: Sequence[Run]) -> dict[str, PeriodTotals]:
    """The totals of scored period rubrics, by file stem, as period leaves read them."""
    out = {}
    for r in runs:
        rubric = r.loaded.rubric
        stem = Path(r.loaded.path).stem
        names = "、".join(dict.fromkeys(a.name for a in rubric.results.advanced))
        out[stem] = PeriodTotals(stem=stem, title=rubric.title, source=r.loaded.path,
                                 totals=r.scores.totals, advanced_name=names,
                                 data=r.data.directory)
    return out


def history_years(rubric: Rubric) -> int:
    """How many years before the rubric's year its multi-year flags look at (0: none)."""
    return max((hf.years - 1 for hf in rubric.results.history_flags), default=0)


def earlier_runs(place: Place, rubric: Rubric, years: int, cache: dict[str, Run]) -> list[Run]:
    """Runs of ``<year-1>.yaml``, ``<year-2>.yaml`` … beside the rubric, on the data beside its
    data, as far back as ``years``, stopping at the first missing rubric (no run of years can
    span a gap). For the multi-year flags (``history_years``) and the reports' trend."""
    runs = []
    for back, prior in enumerate(place.earlier(years), start=1):
        year = rubric.year - back
        got = load_rubric(prior.params)  # checked before it is scored (it reads its own past)
        if got.rubric.year != year or got.rubric.scheme != rubric.scheme:
            raise RubricError([Problem(got.path, "year", "",
                                      f"往年评分细则应为“{rubric.scheme}”{year}年度，"
                                      f"实为“{got.rubric.scheme}”{got.rubric.year}年度")])
        runs.append(_cached(prior, cache))
    return runs


HISTORY_COLUMNS = ["year", "unit_id", "total", "rank", "group_size", "grade", "advanced"]


def history_from_runs(runs: Sequence[Run]) -> pd.DataFrame:
    """The history table (往年结果) from earlier years' runs, shaped as history.csv is read:
    one row per year and unit, oldest year first; ``ref`` names the rubric it came from."""
    frames = []
    for r in sorted(runs, key=lambda r: r.loaded.rubric.year):
        t = r.scores.totals
        year = r.loaded.rubric.year
        grade = t["grade"] if "grade" in t else pd.Series(None, index=t.index, dtype=object)
        advanced = t["advanced"] if "advanced" in t else pd.Series(False, index=t.index)
        frames.append(pd.DataFrame({
            "year": year,
            "unit_id": t["unit_id"].astype(object),
            "total": t["total"].astype(float),
            "rank": t["rank"].astype(float),
            "group_size": t["group_size"].astype(float),
            "grade": grade.astype(object).where(grade.notna(), None),
            "advanced": advanced.fillna(False).astype(bool),
            "ref": f"{r.loaded.path}（{year}年度计算结果）",
        }))
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in HISTORY_COLUMNS + ["ref"]})
    return pd.concat(frames, ignore_index=True)[HISTORY_COLUMNS + ["ref"]]


def row_accounting(data: Dataset) -> dict[str, int]:
    """Rows read per table; a successful run uses them all (nothing is dropped silently).
    Only tables read from files count: a history computed from earlier years is not read."""
    return {name: len(df) for name, df in data.tables.items()
            if len(df) and source_file(name, data.hashes)}


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


def write_scores(result: Run, out: Path | str, float_format: str | None = "%.4f",
                 excel: bool = False) -> list[Path]:
    """Write the score tables and provenance.json; the same inputs give the same bytes.

    ``float_format=None`` writes every float exactly (shortest round-trip text): reports read
    those tables and must round a total exactly as the ranking did. ``excel=True`` also
    writes ``results.xlsx`` (``kaohe.excel.results``: the bulletin table with two-level
    headers, the details), as ``kaohe score`` does; it is off by default because openpyxl
    takes seconds on a large year and report builds do not read it."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for file, attr in OUTPUTS.items():
        path = out / file
        write_csv(getattr(result.scores, attr), path, float_format)  # to_csv's bytes, in C++
        written.append(path)
    if len(result.data.history):  # the earlier results the multi-year flags used, read or computed
        path = out / "history_used.csv"
        write_csv(result.data.history, path, float_format)
        written.append(path)
    if excel:
        from .excel.results import write_results

        s = result.scores
        written.append(write_results(s.rubric, s.totals, s.details, s.nodes, result.provenance,
                                     out))
    prov = out / "provenance.json"
    prov.write_text(json.dumps(result.provenance, ensure_ascii=False, indent=2, sort_keys=True)
                    + "\n", encoding="utf-8")
    written.append(prov)
    return written


__all__ = ["Run", "load", "run", "earlier_runs", "write_scores", "row_accounting", "history_from_runs",
           "history_years", "period_stems", "period_totals", "KaoheError", "Problem"]

"""The score tables of one scheme-year as reports read them.

``kaohe build`` scores a scheme-year once and writes its tables (exact floats) and
provenance.json into ``<report dir>/data/``; every notebook of that scheme-year reads them
back here instead of scoring again. A notebook run by hand with no scores directory
prepares the same tables in a temporary directory, so both paths read the same files.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import KaoheError, Problem, display_path
from ..layout import Place
from ..rubric import Rubric, load_rubric

if TYPE_CHECKING:  # the pipeline (pandera, data checks) is imported only to score
    from ..pipeline import Run

HISTORY_FILE = "history_used.csv"
ROBUSTNESS_FILE = "robustness.csv"  # kaohe.robustness defaults: how firm each rank is
RUBRIC_CHANGES_FILE = "rubric_changes.csv"  # kaohe.diff against the previous year's rubric
RUBRIC_YEARS_FILE = "rubric_years.csv"  # per trend year: did the rubric change from the year before
UNIT_INPUTS_FILE = "unit_inputs.csv"  # per unit and data file: its rows and their digest
UNIT_ROWS_FILE = "unit_rows.csv"  # every input row of a unit, for its report's appendix
# How far back a report looks for earlier years' rubrics when the data has no history.
TREND_YEARS = 5

FILES = {
    "totals": "totals.csv",
    "details": "details.csv",
    "lines": "reasons.csv",
    "nodes": "indicators.csv",
    "flags": "flags.csv",
    "self_check": "self_check.csv",
}


@dataclass(frozen=True)
class ReportData:
    """A scored scheme-year: the rubric, its provenance and its score tables, typed."""

    rubric: Rubric
    provenance: dict
    totals: pd.DataFrame
    details: pd.DataFrame
    lines: pd.DataFrame
    nodes: pd.DataFrame
    flags: pd.DataFrame
    self_check: pd.DataFrame
    history: pd.DataFrame
    # optional tables (absent: the section is left out)
    robustness: pd.DataFrame = field(default_factory=pd.DataFrame)
    rubric_changes: pd.DataFrame = field(default_factory=pd.DataFrame)
    rubric_years: pd.DataFrame = field(default_factory=pd.DataFrame)
    unit_inputs: pd.DataFrame = field(default_factory=pd.DataFrame)
    appeals: pd.DataFrame = field(default_factory=pd.DataFrame)  # kaohe.office: 申诉
    correction: pd.DataFrame = field(default_factory=pd.DataFrame)  # kaohe.office: 更正
    unit_rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    # derived lookups, computed once (not an init field: dataclasses.replace starts afresh)
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def sample(self) -> bool:
        return bool(self.provenance.get("sample_data"))

    @property
    def top_ids(self) -> list[str]:
        return [t.id for t in self.rubric.indicators]

    def unit_ids(self) -> list[str]:
        return self.totals["unit_id"].tolist()

    def group_labels(self) -> pd.Series:
        """The ranking group of each unit as a reader names it (unit kind names for 'kind')."""
        if "labels" not in self._memo:
            self._memo["labels"] = self._group_labels()
        return self._memo["labels"].copy()

    def rows_of(self, table: str, unit_id: str) -> pd.DataFrame:
        """``unit_id``'s rows of a score table, in table order (positions found once per
        table, so one unit's rows cost the same in a year of 40,000 units)."""
        df: pd.DataFrame = getattr(self, table)
        if df.empty or "unit_id" not in df.columns:
            return df
        key = ("rows", table)
        if key not in self._memo:
            self._memo[key] = df.groupby("unit_id", sort=False).indices
        pos = self._memo[key].get(unit_id)
        return df.iloc[pos] if pos is not None else df.iloc[0:0]

    def _group_labels(self) -> pd.Series:
        within = self.rubric.results.ranking.within
        t = self.totals.set_index("unit_id")
        if not within:
            return pd.Series("", index=t.index)
        kinds = {k.id: k.name for k in self.rubric.unit_kinds}
        parts = pd.DataFrame({c: (t[c].map(kinds).fillna(t[c]) if c == "kind" else t[c])
                              .fillna("").astype(str).str.strip() for c in within})
        # a blank part (cities have no region) is left out: "市（州）", not "市（州） / "
        return parts.apply(lambda r: " / ".join(x for x in r if x), axis=1)

    def kind_name(self, kind: str) -> str:
        return {k.id: k.name for k in self.rubric.unit_kinds}.get(kind, kind)


def _typed(df: pd.DataFrame, floats=(), bools=(), ints=()) -> pd.DataFrame:
    """Text cells (read as text) to the column types the reports use."""
    out = df.copy()
    for c in out.columns:
        if c in floats:
            out[c] = pd.to_numeric(out[c].replace("", None), errors="raise").astype(float)
        elif c in bools:
            out[c] = out[c].map({"True": True, "False": False, "true": True, "false": False,
                                 "1": True, "0": False, "": False}).fillna(False).astype(bool)
        elif c in ints:
            out[c] = pd.to_numeric(out[c].replace("", None), errors="raise").astype("Int64")
        else:
            out[c] = out[c].astype(object)
    return out


def _read(path: Path) -> pd.DataFrame:
    if not path.exists():
        return pd.DataFrame()
    return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)


def read_scores(directory: Path | str, rubric: Rubric) -> ReportData:
    """Read the tables ``prepare`` (or ``kaohe build``) wrote into ``directory``."""
    d = Path(directory)
    prov_path = d / "provenance.json"
    if not prov_path.exists():
        raise KaoheError([Problem(display_path(d), "", "",
                                  "不是得分表目录（缺少 provenance.json）：请先运行 kaohe build")])
    provenance = json.loads(prov_path.read_text(encoding="utf-8"))
    raw = {k: _read(d / f) for k, f in FILES.items()}
    missing = [f for k, f in FILES.items() if raw[k].columns.empty]
    if missing:
        raise KaoheError([Problem(display_path(d), "", "", f"缺少得分表：{'、'.join(missing)}")])
    flags_ids = [h.id for h in rubric.results.history_flags]
    adjust = [a.id for a in rubric.adjustments]
    totals = _typed(
        raw["totals"],
        floats=[*[t.id for t in rubric.indicators], *adjust, "base", "base_max", "rescaled",
                "total", "converted"],
        bools=["vetoed", "barred", "advanced", "warning", *flags_ids],
        ints=["rank", "group_size"])
    details = _typed(raw["details"], floats=["max", "points", "lost"], bools=["applicable"])
    lines = _typed(raw["lines"], floats=["delta"])
    nodes = _typed(raw["nodes"], floats=["earned", "max"], ints=["depth"])
    flags = _typed(raw["flags"])
    self_check = _typed(raw["self_check"], floats=["self_points", "verified_points", "gap"],
                        bools=["flagged"])
    hist_raw = _read(d / HISTORY_FILE)
    if hist_raw.columns.empty:
        hist_raw = pd.DataFrame({c: pd.Series(dtype=str) for c in
                                 ["year", "unit_id", "total", "rank", "group_size", "grade",
                                  "advanced"]})
    history = _typed(hist_raw, floats=["total", "rank", "group_size"], bools=["advanced"],
                     ints=["year"])
    rob_raw = _read(d / ROBUSTNESS_FILE)
    robustness = _typed(
        rob_raw, floats=["total", *[c for c in rob_raw.columns if c.startswith("p_")]],
        bools=["grade_could_change", "advanced", "advanced_could_change"],
        ints=["rank", "group_size", "rank_min", "rank_p5", "rank_p95", "rank_max"])
    rubric_changes = _read(d / RUBRIC_CHANGES_FILE)
    rubric_years = _typed(_read(d / RUBRIC_YEARS_FILE), bools=["changed"],
                          ints=["year", "n_changes"])
    unit_inputs = _typed(_read(d / UNIT_INPUTS_FILE), ints=["rows"])
    unit_rows = _read(d / UNIT_ROWS_FILE)
    from ..office.report import APPEALS_FILE, CORRECTION_FILE

    return ReportData(rubric, provenance, totals, details, lines, nodes, flags, self_check,
                      history, robustness, rubric_changes, rubric_years, unit_inputs,
                      _read(d / APPEALS_FILE), _read(d / CORRECTION_FILE), unit_rows)


def previous_params(params: Path | str) -> Path | None:
    """The previous year's rubric beside this one: 2019.yaml for 2020.yaml, 2021-Q1.yaml for
    2022-Q1.yaml (the same period a year earlier); None for a file not named by its year.
    It may not exist."""
    prev = Place(Path(params), Path()).year_back(1)
    return prev.params if prev is not None else None


def write_rubric_changes(params: Path | str, directory: Path | str) -> list[Path]:
    """The differences from the previous year's rubric, one sentence a row, when that rubric
    exists in the same folder (one row with no text: it exists and nothing changed)."""
    from ..diff import diff_rubrics, in_words
    from ..rubric import load_rubric

    prev = previous_params(params)
    if prev is None or not prev.exists():
        return []
    a, b = load_rubric(prev).rubric, load_rubric(params).rubric
    changes = diff_rubrics(a, b)
    label = prev.stem
    df = pd.DataFrame({"previous": [label] * len(changes),
                       "section": [c.section for c in changes],
                       "text": [c.text for c in changes],
                       "words": [in_words(c, a, b) for c in changes]},
                      columns=["previous", "section", "text", "words"])
    if df.empty:  # keep the year being compared to, even with no changes
        df = pd.DataFrame({"previous": [label], "section": [""], "text": [""], "words": [""]})
    path = Path(directory) / RUBRIC_CHANGES_FILE
    df.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    return [path]


def rubric_years(params: Path | str, years: list[int]) -> pd.DataFrame:
    """For each year whose rubric and the previous year's both lie beside ``params``
    (``2018.yaml`` and ``2017.yaml``), whether the rubric changed in a way that can alter
    scores (``kaohe.diff.is_substantive``: rewording the title or notes does not count), so a
    unit's trend says which years' totals were made by different rules."""
    from ..diff import diff_files, is_substantive

    p = Path(params)
    m = re.fullmatch(r"(\d{4})(.*)", p.stem)
    rows = []
    if m:
        for year in sorted(set(years)):
            new = p.with_name(f"{year}{m.group(2)}{p.suffix}")
            old = p.with_name(f"{year - 1}{m.group(2)}{p.suffix}")
            if not (new.exists() and old.exists()):
                continue
            n = sum(is_substantive(c) for c in diff_files(old, new))
            rows.append({"year": year, "changed": n > 0, "n_changes": n})
    return pd.DataFrame(rows, columns=["year", "changed", "n_changes"])


def write_rubric_years(result: Run, params: Path | str, directory: Path | str) -> list[Path]:
    """``rubric_years.csv`` for the years a unit report's trend shows: the history years
    and this one; nothing when no year has both its rubric and the previous one."""
    h = result.data.history
    years = [int(y) for y in h["year"].dropna()] if len(h) and "year" in h else []
    df = rubric_years(params, [*years, result.loaded.rubric.year])
    if df.empty:
        return []
    path = Path(directory) / RUBRIC_YEARS_FILE
    df.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    return [path]


def write_robustness_table(result: Run, directory: Path | str) -> list[Path]:
    """Rank robustness with kaohe.robustness' defaults (seeded: the same bytes every build),
    exact floats. A rubric whose totals the analysis cannot rebuild from the indicator points
    gets no table (and no report section) rather than a failed build."""
    from ..robustness import rank_robustness

    try:
        rob = rank_robustness(result.scores)
    except ValueError:
        return []
    path = Path(directory) / ROBUSTNESS_FILE
    rob.units.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    return [path]


def with_history(result: Run, params: Path | str, runs: dict[str, Run]) -> Run:
    """A run whose data carries earlier years' results for the trend in the reports.

    History from the data (history.csv) or computed by the pipeline for multi-year flags is
    kept. Otherwise consecutive earlier years' rubrics beside this one (``2022.yaml`` for
    ``2023.yaml``, up to TREND_YEARS back) are scored, each once per build (``runs``)."""
    from ..pipeline import earlier_runs, history_from_runs

    if len(result.data.history):
        return result
    r = result.loaded.rubric
    params = Path(params)
    if params.stem != str(r.year):  # a period (2021-Q1): no year-on-year series
        return result
    place = Place(params, Path(result.data.directory))
    try:
        earlier = earlier_runs(place, r, TREND_YEARS, runs)
    except KaoheError:  # an earlier file of another scheme or year: no trend
        earlier = []
    if not earlier:
        return result
    data = replace(result.data, tables={**result.data.tables, "history": history_from_runs(earlier)})
    return replace(result, data=data, earlier=tuple(earlier))


def write_report_data(result: Run, directory: Path | str) -> list[Path]:
    """The score tables with exact floats, so a report rounds a total as the ranking did,
    and each unit's input rows digest (``unit_inputs.csv``) for its report's provenance."""
    from ..pipeline import write_scores
    from ..schemas import TABLES
    from .rows import unit_inputs, unit_rows

    written = write_scores(result, directory, float_format=None)
    df = unit_inputs(result.data.tables, {name: t.file for name, t in TABLES.items()})
    path = Path(directory) / UNIT_INPUTS_FILE
    df.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    rows_path = Path(directory) / UNIT_ROWS_FILE
    unit_rows(result.data.tables).to_csv(rows_path, index=False, encoding="utf-8-sig",
                                         lineterminator="\n")
    return [*written, path, rows_path]


def prepare(params: Path | str, directory: Path | str, runs: dict[str, Run] | None = None) -> Run:
    """Score a scheme-year once and write what its reports read into ``directory``."""
    from ..pipeline import run

    runs = {} if runs is None else runs
    result = run(params, cache=runs)
    result = with_history(result, params, runs)
    write_report_data(result, directory)
    write_robustness_table(result, directory)
    write_rubric_changes(params, directory)
    write_rubric_years(result, params, directory)
    from ..dataset import default_data_dir
    from ..office.report import write_office_tables

    write_office_tables(result, default_data_dir(params, result.loaded.rubric), Path(directory))
    return result


# The scheme-year a warm report kernel read last (kaohe.report.kernel): its unit reports
# follow each other, and each would otherwise read every table of the year again. Keyed on
# the files' identity (inode, size, modification time), which a build's atomic writes change.
_LAST: dict[tuple[str, str], tuple[tuple, ReportData]] = {}


def _stamp(params: Path, scores_dir: Path) -> tuple:
    paths = [params, *sorted(p for p in scores_dir.iterdir() if p.is_file())]
    return tuple((p.name, s.st_ino, s.st_size, s.st_mtime_ns) for p in paths
                 for s in [p.stat()])


def load(params: Path | str, scores_dir: Path | str | None = None) -> ReportData:
    """What a notebook calls: the tables ``kaohe build`` wrote, or, with no scores directory
    (an analyst running the notebook by hand), the same tables prepared in a temporary one.

    The last scheme-year read is kept while its files are unchanged, so the unit reports a
    warm kernel runs one after another read the tables once. Reports never modify it."""
    if scores_dir is None:
        loaded = load_rubric(params)
        with tempfile.TemporaryDirectory(prefix="kaohe-") as tmp:
            prepare(params, tmp)
            return read_scores(tmp, loaded.rubric)
    key = (str(Path(params).resolve()), str(Path(scores_dir).resolve()))
    try:
        stamp = _stamp(Path(params), Path(scores_dir))
    except OSError:
        stamp = None
    hit = _LAST.get(key)
    if stamp is not None and hit is not None and hit[0] == stamp:
        return hit[1]
    loaded = load_rubric(params)
    data = read_scores(scores_dir, loaded.rubric)
    if data.provenance.get("rubric_sha256") != loaded.sha256:
        raise KaoheError([Problem(loaded.path, "", "",
                                  f"评分细则在生成得分表（{display_path(scores_dir)}）之后已修改："
                                  "请重新运行 kaohe build")])
    _LAST.clear()
    if stamp is not None:
        _LAST[key] = (stamp, data)
    return data

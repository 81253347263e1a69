"""A scheme-year's data directory: read, normalised, validated, cross-checked.

CSV files are read as text (UTF-8, UTF-8 with BOM, or GB18030 as Chinese offices save
them), cells trimmed, numbers parsed with located errors, then validated by the pandera
models in ``kaohe.schemas``. Every row keeps a ``ref`` (``observations.csv:12``) so any
point can be traced back to the line that caused it.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from .errors import KaoheError, Problem, display_path
from .rubric import Rubric
from .rules import REGISTRY
from .schemas import TABLES, Table, check_frame, columns_of

ENCODINGS = ("utf-8-sig", "gb18030")
TRUE = {"1", "true", "yes", "y", "是", "t"}
FALSE = {"0", "false", "no", "n", "否", "f", ""}


@dataclass(frozen=True)
class Dataset:
    """The validated tables of one scheme-year, and where they came from."""

    directory: str
    sample: bool
    description: str
    tables: dict[str, pd.DataFrame]
    hashes: dict[str, str] = field(default_factory=dict)

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)


def default_data_dir(params_path: Path | str, rubric: Rubric) -> Path:
    """``params/<scheme>/<year>.yaml`` → ``data/<scheme>/<year>/`` beside ``params/``."""
    p = Path(params_path).resolve()
    root = p.parent.parent.parent
    return root / "data" / rubric.scheme / p.stem


def read_csv_text(path: Path, shown: str) -> pd.DataFrame:
    """Read a CSV as text cells, trying UTF-8 (with or without BOM) then GB18030."""
    raw = path.read_bytes()
    for enc in ENCODINGS:
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise KaoheError([Problem(shown, "", "", "无法识别文件编码（支持 UTF-8、GB18030）")])
    if not text.strip():
        raise KaoheError([Problem(shown, "1", "", "文件为空，至少须有表头行")])
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                         skip_blank_lines=True)
    except pd.errors.ParserError as exc:
        raise KaoheError([Problem(shown, "", "", f"CSV 格式错误：{exc}")]) from exc
    df.columns = [str(c).strip() for c in df.columns]
    starts = _record_lines(text)
    if len(starts) == len(df) + 1:  # index + 2 = the line a row starts on, as the user sees it
        df.index = pd.Index(starts[1:]) - 2
    return df.apply(lambda s: s.str.strip())


def _record_lines(text: str) -> list[int]:
    """The line each non-blank record starts on: blank lines and line breaks inside quoted
    cells (Alt+Enter in Excel) make it differ from the record's position + 1."""
    starts, line = [], 1
    reader = csv.reader(io.StringIO(text))
    for record in reader:
        if record:
            starts.append(line)
        line = reader.line_num + 1
    return starts


def _blank_to_na(df: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Blank text cells become missing, so 'blank' and '0' stay different things.

    A header-only table keeps its text dtype: pandera infers an object column's type from
    its values and refuses an empty one as "not str"."""
    out = df.copy()
    if out.empty:
        return out
    for col in out.columns:
        if col not in table.numeric and col not in table.boolean and col not in table.integer:
            out[col] = out[col].astype(object).where(out[col] != "", None)
    return out


def _parse_numbers(df: pd.DataFrame, table: Table, shown: str) -> tuple[pd.DataFrame, list[Problem]]:
    problems: list[Problem] = []
    out = df.copy()
    for col in table.numeric + table.integer:
        if col not in out:
            continue
        text = out[col]
        num = pd.to_numeric(text.where(text != "", None), errors="coerce")
        bad = num.isna() & (text != "")
        for idx in out.index[bad]:
            problems.append(Problem(shown, str(idx + 2), col, f"应为数字，实为“{text[idx]}”"))
        out[col] = num.astype(float) if col in table.numeric else num
    for col in table.integer:
        if col in out and not out[col].isna().any():
            out[col] = out[col].astype(int)
    for col in table.boolean:
        if col not in out:
            continue
        low = out[col].str.lower()
        bad = ~low.isin(TRUE | FALSE)
        for idx in out.index[bad]:
            problems.append(Problem(shown, str(idx + 2), col, f"应为 1/0（是/否），实为“{out[col][idx]}”"))
        out[col] = low.isin(TRUE)
    return out, problems


def read_table(directory: Path, name: str) -> tuple[pd.DataFrame | None, str, list[Problem]]:
    """Read one table; (frame with ``ref``, sha256, problems). Missing optional → None."""
    table = TABLES[name]
    path = directory / table.file
    shown = display_path(path)
    if not path.exists():
        if table.required:
            return None, "", [Problem(shown, "", "", "缺少必需的数据文件")]
        return None, "", []
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    try:
        text = read_csv_text(path, shown)
    except KaoheError as exc:
        return None, digest, exc.problems
    expected = columns_of(table.model)
    missing = [c for c in expected if c not in text.columns]
    problems = [Problem(shown, "1", c, "缺少必需的列") for c in missing]
    if missing:
        return None, digest, problems
    frame, parse_problems = _parse_numbers(text, table, shown)
    frame = _blank_to_na(frame, table)
    problems += parse_problems
    # a cell that is not a number is reported once, not again as "blank" by pandera
    unparsed = {(p.row, p.column) for p in parse_problems}
    problems += [p for p in check_frame(frame, table, shown)
                 if (p.row, p.column) not in unparsed]
    frame["ref"] = pd.Series([f"{table.file}:{i + 2}" for i in frame.index],
                             index=frame.index, dtype=object)  # text even when empty
    return frame.reset_index(drop=True), digest, problems


def empty_table(name: str) -> pd.DataFrame:
    cols = columns_of(TABLES[name].model) + ["ref"]
    return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})


def load_dataset(directory: Path | str) -> Dataset:
    """Read every table of a data directory; raise KaoheError with all problems found."""
    directory = Path(directory)
    shown_dir = display_path(directory)
    if not directory.is_dir():
        raise KaoheError([Problem(shown_dir, "", "", "数据目录不存在")])
    problems: list[Problem] = []
    tables: dict[str, pd.DataFrame] = {}
    hashes: dict[str, str] = {}
    for name, table in TABLES.items():
        frame, digest, probs = read_table(directory, name)
        problems += probs
        tables[name] = frame if frame is not None else empty_table(name)
        if digest:
            hashes[table.file] = digest
    meta_path = directory / "dataset.yaml"
    sample, description = False, ""
    if meta_path.exists():
        meta_bytes = meta_path.read_bytes()
        hashes["dataset.yaml"] = hashlib.sha256(meta_bytes).hexdigest()
        try:
            meta = yaml.safe_load(meta_bytes.decode("utf-8-sig")) or {}
        except yaml.YAMLError as exc:
            meta = {}
            problems.append(Problem(display_path(meta_path), "", "", f"YAML 格式错误：{exc}"))
        if not isinstance(meta, dict):
            problems.append(Problem(display_path(meta_path), "", "", "应为 YAML 映射"))
            meta = {}
        sample = bool(meta.get("sample", False))
        description = str(meta.get("description", ""))
    if problems:
        raise KaoheError(problems)
    return Dataset(shown_dir, sample, description, tables, dict(sorted(hashes.items())))


# -- cross-checks against the rubric ---------------------------------------------------


def check_against(rubric: Rubric, data: Dataset, rubric_file: str) -> list[Problem]:
    """Every reference resolves, every row is used by some rule, nothing is dropped."""
    d = data.directory
    problems: list[Problem] = []
    units = data.units
    unit_ids = set(units["unit_id"])
    kinds = set(rubric.kind_ids())

    def at(table: str, ref_row: pd.Series, column: str, msg: str) -> Problem:
        line = ref_row["ref"].rsplit(":", 1)[1]
        return Problem(f"{d}/{TABLES[table].file}", line, column, msg)

    for _, row in units.iterrows():
        if row["kind"] not in kinds:
            problems.append(at("units", row, "kind",
                               f"单位类别“{row['kind']}”未在评分细则 unit_kinds 中定义"))
    for col in rubric.groups:
        if col not in units.columns:
            problems.append(Problem(f"{d}/units.csv", "1", col, "评分细则声明的分组列不存在"))

    # rubric references to units
    for node, _, _ in rubric.walk():
        if node.applies_to:
            for u in node.applies_to.units + node.applies_to.except_units:
                if u not in unit_ids:
                    problems.append(Problem(rubric_file, f"{node.id}.applies_to", "",
                                            f"单位“{u}”不在 units.csv 中"))
    for leaf in rubric.scored_leaves():
        params = rubric.params_of(leaf)
        for a, b in getattr(params, "proxy", {}).items():
            for u in (a, b):
                if u not in unit_ids:
                    problems.append(Problem(rubric_file, f"{leaf.id}.rule.proxy", "",
                                            f"单位“{u}”不在 units.csv 中"))

    leaves = {n.id: n for n in rubric.scored_leaves()}
    all_ids = {n.id for n, _, _ in rubric.walk()} | set(leaves)
    reads = {i: REGISTRY[n.rule.kind].reads for i, n in leaves.items() if n.rule}
    params = {i: rubric.params_of(n) for i, n in leaves.items() if n.rule}
    item_ids = set(data.items["item_id"].dropna())

    problems += _check_rows(
        "observations", data.observations, leaves, reads, params, unit_ids, item_ids, at
    )
    problems += _check_rows("events", data.events, leaves, reads, params, unit_ids, item_ids, at)

    na = data.not_applicable
    for _, row in na.iterrows():
        if row["unit_id"] not in unit_ids:
            problems.append(at("not_applicable", row, "unit_id", f"单位“{row['unit_id']}”不在 units.csv 中"))
        if row["indicator_id"] not in all_ids:
            problems.append(at("not_applicable", row, "indicator_id", f"指标“{row['indicator_id']}”不存在"))

    for _, row in data.roles.iterrows():
        if row["item_id"] not in item_ids:
            problems.append(at("roles", row, "item_id", f"事项“{row['item_id']}”不在 items.csv 中"))
        if row["unit_id"] not in unit_ids:
            problems.append(at("roles", row, "unit_id", f"单位“{row['unit_id']}”不在 units.csv 中"))

    for _, row in data.self_scores.iterrows():
        if row["unit_id"] not in unit_ids:
            problems.append(at("self_scores", row, "unit_id", f"单位“{row['unit_id']}”不在 units.csv 中"))
        if row["indicator_id"] not in leaves:
            problems.append(at("self_scores", row, "indicator_id", f"指标“{row['indicator_id']}”不是末级指标"))
        elif row["points"] > leaves[row["indicator_id"]].max_points + 1e-9 and leaves[row["indicator_id"]].max_points > 0:
            problems.append(at("self_scores", row, "points",
                               f"自评{row['points']:g}分超过该指标满分{leaves[row['indicator_id']].max_points:g}分"))

    for _, row in data.history.iterrows():
        if row["unit_id"] not in unit_ids:
            problems.append(at("history", row, "unit_id", f"单位“{row['unit_id']}”不在 units.csv 中"))
        if row["year"] >= rubric.year:
            problems.append(at("history", row, "year", f"往年结果的年份应早于{rubric.year}"))
    return problems


ITEM_LEVEL_RULES = ("quota_grade", "class_deduction")


def _check_rows(table, df, leaves, reads, params, unit_ids, item_ids, at) -> list[Problem]:
    """Vectorised checks of observation or event rows; only bad rows are visited."""
    problems: list[Problem] = []
    if df.empty:
        return problems
    ind = df["indicator_id"]
    known = ind.isin(leaves.keys())
    for _, row in df[~known].iterrows():
        problems.append(at(table, row, "indicator_id",
                           f"指标“{row['indicator_id']}”不是评分细则中的末级指标或加减分项"))
    wants = "observations" if table == "observations" else "events"
    right_kind = ind.map(reads).eq(wants)
    for _, row in df[known & ~right_kind].iterrows():
        if reads.get(row["indicator_id"]) not in ("observations", "events"):
            # results of other indicators (self_assessment) or of period rubrics: no rows
            problems.append(at(table, row, "indicator_id",
                               f"指标“{row['indicator_id']}”的得分取自其他指标或分期考核的结果，"
                               "不读取数据行：请删除该行"))
            continue
        where = "events.csv" if wants == "observations" else "observations.csv"
        problems.append(at(table, row, "indicator_id",
                           f"指标“{row['indicator_id']}”的评分规则不读取本表数据（应放入 {where}）"))
    ok = df[known & right_kind]
    unit = ok["unit_id"]
    blank = unit.isna()
    if table == "observations":
        kinds = ok["indicator_id"].map({i: n.rule.kind for i, n in leaves.items()})
        item_level_ok = kinds.isin(ITEM_LEVEL_RULES)
        for _, row in ok[blank & ~item_level_ok].iterrows():
            problems.append(at(table, row, "unit_id", "单位编号不能为空"))
        for _, row in ok[blank & item_level_ok & ~ok["item"].isin(item_ids)].iterrows():
            problems.append(at(table, row, "item", f"事项“{row['item']}”不在 items.csv 中"))
        for i, grp in ok.groupby("indicator_id", sort=True):
            allowed = params[i].observation_items()
            if allowed is None:
                continue
            for _, row in grp[~grp["item"].isin(allowed)].iterrows():
                problems.append(at(table, row, "item",
                                   f"指标“{i}”的 item 应为 {'、'.join(sorted(allowed))} 之一，"
                                   f"实为“{row['item'] if row['item'] is not None else ''}”"))
    else:
        for i, grp in ok.groupby("indicator_id", sort=True):
            types = params[i].event_types() or set()
            for _, row in grp[~grp["type"].isin(types)].iterrows():
                problems.append(at(table, row, "type",
                                   f"指标“{i}”的事件类型应为 {'、'.join(sorted(types))} 之一，"
                                   f"实为“{row['type']}”"))
    for _, row in ok[~blank & ~unit.isin(unit_ids)].iterrows():
        problems.append(at(table, row, "unit_id", f"单位“{row['unit_id']}”不在 units.csv 中"))
    return problems

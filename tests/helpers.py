"""Builders of small, hand-checkable inputs for the rule and totals tests.

Rules are pure functions over a ``LeafContext``; these helpers build the frames the engine
would hand a rule (same columns, ``ref`` per row), so each test states only the rows that
matter and works out the expected points by hand. ``make_rubric`` and ``make_dataset`` build
tiny scheme-years for the totals-level rules and refuse inputs the real loaders would refuse
(``check_rubric``, ``check_against``), so a test cannot pass on data kaohe would reject.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from kaohe.dataset import Dataset, check_against, empty_table
from kaohe.engine import Scores, score
from kaohe.rubric import Rubric, check_rubric
from kaohe.rules import REGISTRY, LeafContext, RuleResult

OBS_COLUMNS = ["unit_id", "indicator_id", "source", "item", "value", "note"]
EVENT_COLUMNS = ["unit_id", "indicator_id", "type", "work", "value", "date", "description"]


def _frame(rows: Iterable[Mapping[str, Any]], columns: list[str], file: str,
           numeric: tuple[str, ...] = ()) -> pd.DataFrame:
    """Rows as the loader leaves them: missing cells None, numbers float, a ref per row."""
    rows = [dict(r) for r in rows]
    df = pd.DataFrame({c: pd.Series([r.get(c) for r in rows], dtype=object) for c in columns})
    for c in numeric:
        df[c] = pd.to_numeric(df[c], errors="raise").astype(float)
    df["ref"] = pd.Series([f"{file}:{i + 2}" for i in range(len(df))], dtype=object)
    return df


def units(ids: Iterable[str], kind: str = "dept", names: Mapping[str, str] | None = None,
          **groups: Mapping[str, str]) -> pd.DataFrame:
    """Applicable units as a rule sees them: index unit_id; name, kind and group columns."""
    ids = list(ids)
    names = names or {}
    df = pd.DataFrame({"name": [names.get(u, f"{u}单位") for u in ids], "kind": kind},
                      index=pd.Index(ids, name="unit_id", dtype=object))
    for col, values in groups.items():
        df[col] = [values[u] for u in ids]
    return df


def obs(rows: Iterable[tuple | Mapping[str, Any]], indicator: str = "t") -> pd.DataFrame:
    """Observation rows: (unit_id, item, value[, source[, note]]) tuples or dicts."""
    out = []
    for r in rows:
        if isinstance(r, Mapping):
            d = dict(r)
        else:
            d = dict(zip(["unit_id", "item", "value", "source", "note"], r, strict=False))
        d.setdefault("indicator_id", indicator)
        out.append(d)
    return _frame(out, OBS_COLUMNS, "observations.csv", numeric=("value",))


def events(rows: Iterable[Mapping[str, Any]], indicator: str = "t") -> pd.DataFrame:
    """Event rows as dicts: unit_id, type, work, value, description."""
    out = []
    for r in rows:
        d = dict(r)
        d.setdefault("indicator_id", indicator)
        d.setdefault("description", f"{d['type']}事项")
        out.append(d)
    return _frame(out, EVENT_COLUMNS, "events.csv", numeric=("value",))


def items(rows: Iterable[tuple[str, str, str | None, str | None]]) -> pd.DataFrame:
    """Reform items: (item_id, name, class, group); index item_id as the engine gives it."""
    df = _frame([dict(zip(["item_id", "name", "class", "group"], r, strict=True)) for r in rows],
                ["item_id", "name", "class", "group"], "items.csv")
    return df.set_index("item_id")


def roles(rows: Iterable[tuple[str, str, str]]) -> pd.DataFrame:
    """Item roles: (item_id, unit_id, role)."""
    return _frame([dict(zip(["item_id", "unit_id", "role"], r, strict=True)) for r in rows],
                  ["item_id", "unit_id", "role"], "item_roles.csv")


def self_scores(rows: Iterable[tuple[str, str, float]]) -> pd.DataFrame:
    """Self-assessed points: (unit_id, indicator_id, points)."""
    return _frame([dict(zip(["unit_id", "indicator_id", "points"], r, strict=True)) for r in rows],
                  ["unit_id", "indicator_id", "points"], "self_assessment.csv",
                  numeric=("points",))


def ctx(unit_frame: pd.DataFrame | Iterable[str], max_points: float, *,
        obs_frame: pd.DataFrame | None = None, event_frame: pd.DataFrame | None = None,
        item_frame: pd.DataFrame | None = None, role_frame: pd.DataFrame | None = None,
        self_frame: pd.DataFrame | None = None, prior: Mapping[str, RuleResult] | None = None,
        periods: Mapping[str, Any] | None = None, node_id: str = "t",
        name: str = "测试指标") -> LeafContext:
    """A LeafContext with empty frames for whatever the test does not need."""
    if not isinstance(unit_frame, pd.DataFrame):
        unit_frame = units(unit_frame)
    return LeafContext(
        node_id=node_id, name=name, max_points=float(max_points), units=unit_frame,
        obs=obs_frame if obs_frame is not None else obs([]),
        events=event_frame if event_frame is not None else events([]),
        items=item_frame if item_frame is not None else items([]),
        roles=role_frame if role_frame is not None else roles([]),
        self_scores=self_frame if self_frame is not None else self_scores([]),
        prior=dict(prior or {}),
        periods=dict(periods or {}),
    )


def run_rule(kind: str, params: Mapping[str, Any], context: LeafContext) -> RuleResult:
    """Validate the parameters with the rule's own model (as a rubric would) and run it."""
    result = REGISTRY[kind].model_validate(dict(params)).score(context)
    check_invariant(result, context.max_points)
    return result


def check_invariant(result: RuleResult, max_points: float) -> None:
    """points == start + sum(delta) per unit: every point gained or lost is explained."""
    start = max_points if result.start == "max" else 0.0
    deltas = result.lines.groupby("unit_id")["delta"].sum()
    explained = start + deltas.reindex(result.points.index).fillna(0.0)
    np.testing.assert_allclose(result.points.to_numpy(dtype=float),
                               explained.to_numpy(dtype=float), atol=1e-9)
    unknown = set(result.lines["unit_id"]) - set(result.points.index)
    assert not unknown, f"lines for units that are not scored: {unknown}"


def pts(result: RuleResult) -> dict[str, float]:
    """Points per unit, rounded against float noise (0.1 + 0.2)."""
    return {u: round(float(p), 9) for u, p in result.points.items()}


def texts(result: RuleResult, unit_id: str) -> list[str]:
    """The reasons of one unit, in order."""
    return list(result.lines.loc[result.lines["unit_id"] == unit_id, "text"])


def deltas(result: RuleResult, unit_id: str) -> list[float]:
    return [round(float(d), 9) for d in
            result.lines.loc[result.lines["unit_id"] == unit_id, "delta"]]


# -- tiny scheme-years for the totals-level rules --------------------------------------


def make_rubric(indicators: list[dict], **kw: Any) -> Rubric:
    """A rubric from plain dicts; refused if the real loader would refuse it."""
    raw: dict[str, Any] = {
        "scheme": "test-scheme", "year": 2023, "title": "测试考核",
        "unit_kinds": [{"id": "dept", "name": "县直单位"}],
        "indicators": indicators,
    }
    raw.update(kw)
    rubric = Rubric.model_validate(raw)
    problems = check_rubric(rubric)
    assert not problems, problems
    return rubric


def make_dataset(rubric: Rubric, unit_rows: list[dict], *, observations: list[dict] = (),
                 event_rows: list[dict] = (), not_applicable: list[dict] = (),
                 item_rows: list[dict] = (), role_rows: list[dict] = (),
                 self_rows: list[dict] = (), history: list[dict] = ()) -> Dataset:
    """A Dataset shaped as ``load_dataset`` leaves it; refused if ``check_against`` objects."""
    unit_cols = ["unit_id", "name", "kind"] + [c for c in unit_rows[0] if c not in
                                               ("unit_id", "name", "kind")]
    tables = {
        "units": _frame(unit_rows, unit_cols, "units.csv"),
        "observations": _frame(observations, OBS_COLUMNS, "observations.csv", ("value",)),
        "events": _frame(event_rows, EVENT_COLUMNS, "events.csv", ("value",)),
        "not_applicable": _frame(not_applicable, ["unit_id", "indicator_id", "reason"],
                                 "not_applicable.csv"),
        "items": _frame(item_rows, ["item_id", "name", "class", "group"], "items.csv"),
        "roles": _frame(role_rows, ["item_id", "unit_id", "role"], "item_roles.csv"),
        "self_scores": _frame(self_rows, ["unit_id", "indicator_id", "points"],
                              "self_assessment.csv", ("points",)),
        "history": _frame(history, ["year", "unit_id", "total", "rank", "group_size", "grade",
                                    "advanced"], "history.csv",
                          ("total", "rank", "group_size")),
    }
    for name, df in tables.items():
        if df.empty:  # the loader's frame for an absent optional file
            tables[name] = empty_table(name)
    if len(history):
        tables["history"]["year"] = tables["history"]["year"].astype(int)
        tables["history"]["advanced"] = tables["history"]["advanced"].astype(bool)
    data = Dataset("data/test-scheme/2023", True, "测试数据", tables)
    problems = check_against(rubric, data, "rubric")
    assert not problems, problems
    return data


def score_of(rubric: Rubric, data: Dataset) -> Scores:
    return score(rubric, data)


def totals(scores: Scores) -> pd.DataFrame:
    return scores.totals.set_index("unit_id")

"""What every rule receives and returns, and the registry that maps YAML names to rules.

A rule is a pure function ``(params, ctx) -> RuleResult``. It sees only the frames of its
own indicator, and it explains itself: every point gained or lost is a *line* with a signed
``delta``, a Chinese sentence and a reference to the input row (``observations.csv:12``).
The invariant ``points == start + sum(delta)`` holds per unit, where ``start`` is the
item's maximum for rules that deduct and 0 for rules that award.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

LINE_COLUMNS = ["unit_id", "delta", "text", "ref"]
FLAG_COLUMNS = ["unit_id", "effect", "text", "ref"]

Rounding = Literal["half_up", "floor", "ceil"]
EPS = 1e-9


class Params(BaseModel):
    """Base of every rule's parameter model: unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    ours: str = ""  # why a value is the project's choice and not the document's

    def refers_to(self) -> list[str]:
        """Ids of other indicators this rule reads (checked to exist)."""
        return []

    def event_types(self) -> set[str] | None:
        """Event types this rule consumes; None if it reads no events."""
        return None

    def observation_items(self) -> set[str] | None:
        """Allowed ``item`` values of observations; None if any item is allowed."""
        return None

    def check(self, max_points: float) -> list[str]:
        """Cross-checks of the parameters against the item's maximum."""
        return []


@dataclass(frozen=True)
class LeafContext:
    """The inputs of one scored indicator, already validated and restricted to it."""

    node_id: str
    name: str
    max_points: float
    units: pd.DataFrame  # index unit_id; columns name, kind, groups — applicable units only
    obs: pd.DataFrame  # unit_id (NA for item-level rows), source, item, value, note, ref
    events: pd.DataFrame  # unit_id, type, level, work, value, description, ref
    items: pd.DataFrame  # index item_id; name, class, group
    roles: pd.DataFrame  # item_id, unit_id, role
    self_scores: pd.DataFrame  # unit_id, indicator_id, points, ref
    prior: Mapping[str, RuleResult] = field(default_factory=dict)

    @property
    def unit_ids(self) -> pd.Index:
        return self.units.index


@dataclass(frozen=True)
class RuleResult:
    start: Literal["max", "zero"]
    points: pd.Series  # float, index = applicable unit ids
    lines: pd.DataFrame  # LINE_COLUMNS
    inputs: pd.Series  # str per unit: the inputs used, in words
    flags: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=FLAG_COLUMNS))
    extra: Mapping[str, pd.DataFrame] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleKind:
    name: str
    title: str  # Chinese name of the rule, shown in reports
    params: type[Params]
    fn: Callable[[Any, LeafContext], RuleResult]
    reads: Literal["observations", "events", "results"]


REGISTRY: dict[str, RuleKind] = {}


def rule(name: str, title: str, params: type[Params], reads: str):
    """Register a rule function under the name used in rubric files."""

    def deco(fn):
        REGISTRY[name] = RuleKind(name, title, params, fn, reads)  # type: ignore[arg-type]
        return fn

    return deco


# -- helpers shared by the rules -----------------------------------------------------


def fmt(x: float) -> str:
    """A number as a Chinese report writes it: at most two decimals, no trailing zeros."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    s = f"{round(float(x) + 0.0, 2):.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def fmt_series(s: pd.Series) -> pd.Series:
    return s.map(fmt)


def round_count(x: float, rounding: Rounding) -> int:
    """Round a quota (share × n) to a count, robust to float noise (0.2 × 19 = 3.8000…01)."""
    if rounding == "floor":
        return int(math.floor(x + EPS))
    if rounding == "ceil":
        return int(math.ceil(x - EPS))
    return int(math.floor(x + 0.5 + EPS))


def empty_lines() -> pd.DataFrame:
    return pd.DataFrame({"unit_id": pd.Series(dtype=object), "delta": pd.Series(dtype=float),
                         "text": pd.Series(dtype=object), "ref": pd.Series(dtype=object)})


def empty_flags() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in FLAG_COLUMNS})


def lines_frame(unit_id, delta, text, ref) -> pd.DataFrame:
    """Build a lines frame from aligned arrays or scalars."""
    df = pd.DataFrame({"unit_id": unit_id, "delta": delta, "text": text, "ref": ref})
    df["delta"] = df["delta"].astype(float)
    return df[LINE_COLUMNS]


def concat_lines(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty_lines()
    return pd.concat(frames, ignore_index=True)


def refs_by_unit(df: pd.DataFrame, units: pd.Index) -> pd.Series:
    """The input rows of each unit, joined, for the line that summarises them."""
    if df.empty:
        return pd.Series("", index=units, dtype=object)
    joined = df.groupby("unit_id", sort=False, observed=True)["ref"].agg(_join_refs)
    return joined.reindex(units).fillna("")


def _join_refs(refs: pd.Series) -> str:
    vals = list(refs)
    if len(vals) <= 3:
        return "；".join(vals)
    # rows of one file: "observations.csv:2,5,9,…"
    files = {v.rsplit(":", 1)[0] for v in vals}
    if len(files) == 1:
        return f"{files.pop()}:" + ",".join(v.rsplit(":", 1)[1] for v in vals)
    return "；".join(vals)


def cap_lines(points: pd.Series, cap: float | None, what: str) -> tuple[pd.Series, pd.DataFrame]:
    """Apply a cap (封顶) and explain the points cut off."""
    if cap is None:
        return points, empty_lines()
    over = points > cap + EPS
    if not over.any():
        return points, empty_lines()
    cut = points[over] - cap
    lines = lines_frame(
        cut.index.to_numpy(), -cut.to_numpy(),
        [f"{what}累计{fmt(p)}分，{fmt(cap)}分封顶，超出的{fmt(c)}分不计" for p, c in
         zip(points[over], cut, strict=True)],
        "",
    )
    return points.clip(upper=cap), lines


def floor_lines(points: pd.Series, max_points: float) -> tuple[pd.Series, pd.DataFrame]:
    """Apply 扣完为止 (no negative points) and explain the deductions not taken."""
    under = points < -EPS
    if not under.any():
        return points.clip(lower=0.0), empty_lines()
    back = -points[under]
    lines = lines_frame(
        back.index.to_numpy(), back.to_numpy(),
        [f"应扣{fmt(max_points + b)}分，超过本项{fmt(max_points)}分，扣完为止" for b in back],
        "",
    )
    return points.clip(lower=0.0), lines


def combine_values(values: pd.DataFrame, how: str, key: str = "unit_id") -> pd.DataFrame:
    """Combine several raters' values per key: mean, trimmed mean, sum, min, max, median.

    Returns columns value, n (rows used), ref (joined input rows).
    """
    g = values.groupby(key, sort=False, observed=True)
    n = g["value"].size()
    if how == "trimmed_mean":
        s = g["value"].sum()
        hi = g["value"].max()
        lo = g["value"].min()
        trimmed = (s - hi - lo) / (n - 2)
        value = trimmed.where(n > 2, s / n)
    elif how == "median":
        value = g["value"].median()
    else:
        value = getattr(g["value"], how)()
    refs = g["ref"].agg(_join_refs)
    return pd.DataFrame({"value": value.astype(float), "n": n, "ref": refs})


def tiers_by_quota(
    values: pd.Series,
    shares: list[float],
    rounding: Rounding,
    ties: Literal["higher", "lower"],
    groups: pd.Series | None = None,
) -> pd.Series:
    """Cut peers into tiers by proportion (强制分布); return the tier index per entry.

    Within each group the entries are ranked by value (highest first). The cumulative
    share of tier j, times the group size, rounded by ``rounding``, is the last position
    of tier j; the last tier takes the rest. Entries tied with each other always share a
    tier: ``ties='higher'`` lifts a tie that straddles a cut into the upper tier,
    ``'lower'`` drops it into the lower one.
    """
    if values.empty:
        return pd.Series(dtype=int, index=values.index)
    grp = groups if groups is not None else pd.Series(0, index=values.index)
    method = "min" if ties == "higher" else "max"
    pos = values.groupby(grp, sort=False).rank(method=method, ascending=False)
    size = grp.map(grp.value_counts())
    cum = np.cumsum(shares)
    tier = pd.Series(len(shares), index=values.index, dtype=int)  # the last tier by default
    for j in range(len(cum) - 1, -1, -1):
        cuts = size.map(lambda n, c=cum[j]: round_count(c * n, rounding))
        tier = tier.where(pos > cuts, j)
    return tier.astype(int)

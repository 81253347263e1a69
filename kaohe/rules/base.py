"""What every rule receives and returns, and the registry that maps YAML names to rules.

A rule kind is one class (``Rule``): its fields are its parameters, ``score(ctx)`` is pure
(``LeafContext`` in, ``RuleResult`` out), and it answers what rows it reads and its words for
templates. ``score`` sees only the frames of its
own indicator, and it explains itself: every point gained or lost is a *line* with a signed
``delta``, a Chinese sentence and a reference to the input row (``observations.csv:12``).
The invariant ``points == start + sum(delta)`` holds per unit, where ``start`` is the
item's maximum for rules that deduct and 0 for rules that award.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict

from ..normalize import ValueSpec

LINE_COLUMNS = ["unit_id", "delta", "text", "ref"]
FLAG_COLUMNS = ["unit_id", "effect", "text", "ref"]

Rounding = Literal["half_up", "floor", "ceil"]
FrameOrSeries = TypeVar("FrameOrSeries", pd.DataFrame, pd.Series)
EPS = 1e-9


class Params(BaseModel):
    """Base of every parameter model (a rule's, and its parts'): unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    ours: str = ""  # why a value is the project's choice and not the document's


Reads = Literal["observations", "events", "results"]
RowLevel = Literal["unit", "item", "both"]


class Rule(Params):
    """A rule kind: its parameters (the fields), and everything the rest of kaohe asks of it.

    A subclass sets ``kind: Literal["name"] = "name"`` (the rubric's ``rule.kind``, the
    discriminator of the rubric's rule union), ``title`` (its Chinese name) and ``reads``
    (which table its rows come from), and implements ``score``. What rows it accepts
    (``row_level``, ``observation_items``, ``event_types``, ``value_spec``,
    ``refused_units``) is asked by the CSV cross-check and the Excel import alike, so both
    refuse the same rows; its words (``requirement``, ``words``, ``item_rows``,
    ``event_type_names``) go into templates and reports.
    """

    kind: str
    title: ClassVar[str] = ""
    reads: ClassVar[Reads] = "observations"
    # False for a rule that decides an outcome instead of scoring (一票否决): its leaf carries
    # no points and is left out of point columns and sums
    carries_points: ClassVar[bool] = True
    # True when no rows at all is a valid return (nothing happened: no event, no deduction)
    rows_optional: ClassVar[bool] = False

    def score(self, ctx: LeafContext) -> RuleResult:
        """Points, reasons and inputs of every applicable unit."""
        raise NotImplementedError

    # -- what it reads ---------------------------------------------------------------

    def refers_to(self) -> list[str]:
        """Ids of other indicators this rule reads (checked to exist)."""
        return []

    def period_stems(self) -> list[str]:
        """Stems of period rubrics (same params folder) whose totals this rule reads; the
        pipeline scores them first and hands them over in ``LeafContext.periods``."""
        return []

    def check(self, max_points: float) -> list[str]:
        """Cross-checks of the parameters against the item's maximum."""
        return []

    # -- the rows it accepts -----------------------------------------------------------

    def row_level(self) -> RowLevel:
        """Whose observation rows it reads: ``unit`` (unit_id required), ``item`` (rows about
        reform items: unit_id blank, item an items.csv id), ``both``."""
        return "unit"

    def observation_items(self) -> frozenset[str]:
        """The ``item`` values a unit-level observation row may have; empty: no item (the
        cell stays blank)."""
        return frozenset()

    def event_types(self) -> frozenset[str]:
        """Event types this rule consumes (empty for rules that read no events)."""
        return frozenset(t for t, _ in self.event_type_names())

    def event_type_names(self) -> list[tuple[str, str]]:
        """(type id, Chinese name) of the events it reads, in the rubric's order."""
        return []

    def event_fields(self) -> dict[str, str]:
        """Event columns besides unit, type, date and description that the rule reads
        (``work``, ``value``), with their template headers."""
        return {}

    def value_spec(self, max_points: float, item: str | None) -> ValueSpec:
        """The values an observation row for ``item`` may hold. Only what the document's rule
        makes impossible is refused (a negative count, a score above full marks …)."""
        return ValueSpec()

    def converted(self, earned: float, max_points: float) -> str:
        """How the item's points came from a result on another scale, in words, for the
        得分核对 (a unit checks its points from a result it knows); empty when the rule gives
        points directly."""
        return ""

    def units_named(self) -> list[str]:
        """Unit ids the parameters name (checked against units.csv)."""
        return []

    def item_roles(self) -> frozenset[str]:
        """For rules that read item rows: the roles (item_roles.csv) whose items get a row in
        a template."""
        return frozenset()

    def refused_units(self) -> dict[str, str]:
        """Units whose own rows the rule does not read, with why (a unit that takes another
        unit's result)."""
        return {}

    # -- its words ---------------------------------------------------------------------

    def item_rows(self) -> list[tuple[str | None, str]]:
        """(item id, item name in Chinese) of the rows one unit has for a leaf; (None, "")
        when the rule reads one value per unit (and rater)."""
        return [(None, "")]

    def requirement(self, max_points: float, item: str | None) -> str:
        """What one template row asks for, with its allowed values."""
        s = self.value_spec(max_points, item)
        return f"填写{s.what}（{s.words()}）"

    def words(self, max_points: float) -> str:
        """The rule in one sentence, for the instructions sheet of a template."""
        return f"满分{fmt(max_points)}分"

@dataclass(frozen=True)
class PeriodTotals:
    """The totals of a period rubric (a quarter's contest, a month's bulletin) that a leaf of
    the annual rubric reads: scored first by the pipeline, handed over by stem ("2021-Q1")."""

    stem: str  # the period rubric's file stem, e.g. "2021-Q1"
    title: str  # the period rubric's title, shown in reasons
    source: str  # the period rubric's path as shown to the user, the ``ref`` of its lines
    totals: pd.DataFrame  # the period's totals: unit_id, total, rank, group_size, …
    advanced_name: str = ""  # what the period's ``advanced`` column means (流动红旗)
    data: str = ""  # the period's data directory as shown to the user


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
    periods: Mapping[str, PeriodTotals] = field(default_factory=dict)  # by period stem

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


REGISTRY: dict[str, type[Rule]] = {}

R = TypeVar("R", bound=type[Rule])


def register(cls: R) -> R:
    """Register a rule class under its ``kind`` (the name used in rubric files)."""
    kind = cls.model_fields["kind"].default  # type: ignore[call-overload]  # (pydantic's class property)
    assert isinstance(kind, str) and cls.title, cls
    REGISTRY[kind] = cls
    return cls


# -- helpers shared by the rules -----------------------------------------------------


def fmt(x: float) -> str:
    """A number as a Chinese report writes it: at most two decimals, no trailing zeros."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    # ".2f" rounds the exact binary value to two decimals, correctly, as round(x, 2) does
    return _trimmed(f"{float(x) + 0.0:.2f}")


def _trimmed(s: str) -> str:
    """A number with two decimals without its trailing zeros ("-0.00" → "0")."""
    s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def fmt_series(s: pd.Series) -> pd.Series:
    """``s.map(fmt)``, calling ``fmt`` once per distinct value (scores repeat a lot: a
    national year has millions of cells but few distinct values)."""
    codes, uniques = pd.factorize(s, sort=False)
    if uniques.dtype.kind == "f":  # floats, none missing (coded -1): fmt without its checks
        formatted = [_trimmed(f"{u + 0.0:.2f}") for u in uniques.tolist()]
    else:
        formatted = [fmt(u) for u in uniques]
    texts = np.array(formatted + [""], dtype=object)[codes]
    missing = codes < 0
    if missing.any():  # NaN, None …: formatted as they are, like map does
        texts[missing] = [fmt(x) for x in s.to_numpy(dtype=object)[missing]]
    # astype(str): mapping an empty float Series keeps float dtype, and "文字" + float fails
    # when an indicator applies to no unit at all.
    return pd.Series(texts, index=s.index, name=s.name).astype(str)


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


def lines_frame(unit_id: Any, delta: Any, text: Any, ref: Any) -> pd.DataFrame:
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
    joined = join_refs(df["unit_id"], df["ref"])
    return joined.reindex(units).fillna("")


def group_join(keys: pd.Series, values: pd.Series, fn: Callable[[list[Any]], str]) -> pd.Series:
    """``values.groupby(keys, sort=False).agg(fn)`` for a function that joins texts.

    ``fn`` gets each group's values as a list, in row order; groups come in order of first
    appearance and missing keys are dropped, as with groupby. pandas would build a Series
    for every group (tens of µs each): at 40,000 units × 30 indicators that was most of the
    scoring time (benchmarks/score_scale.py)."""
    g = values.groupby(keys, sort=False, observed=True)
    sizes = g.size()
    if sizes.empty:
        return g.agg(fn)
    vals, starts, ends = _by_group(g, sizes, values)
    out = [fn(vals[a:b]) for a, b in zip(starts, ends, strict=True)]
    return pd.Series(out, index=sizes.index, name=values.name)


def _by_group(g: Any, sizes: pd.Series, values: pd.Series) -> tuple[list[Any], list[int], list[int]]:
    """The values in group order (row order within a group) and each group's slice."""
    vals = values.to_numpy(dtype=object)
    order = _group_order(g)
    if order is not None:
        vals = vals[order]
    ends = np.cumsum(sizes.to_numpy())
    return vals.tolist(), (ends - sizes.to_numpy()).tolist(), ends.tolist()


def _group_order(g: Any) -> np.ndarray | None:
    """The row positions in group order (row order within a group, missing keys left out),
    or None when the rows already are in that order."""
    codes = g.ngroup().to_numpy()
    if codes.dtype.kind == "i" and not (len(codes) > 1 and (codes[1:] < codes[:-1]).any()):
        return None
    # missing keys (NaN codes), or a group's rows not together: sort them together
    codes = np.nan_to_num(codes.astype(float), nan=-1.0).astype(np.int64)
    order = np.argsort(codes, kind="stable")
    kept: np.ndarray = order[codes[order] >= 0]
    return kept


def join_refs(keys: pd.Series, refs: pd.Series) -> pd.Series:
    """``refs.groupby(keys, sort=False).agg(_join_refs)``: the input rows of each key."""
    return _grouped_refs(refs.groupby(keys, sort=False, observed=True), refs)


def _grouped_refs(g: Any, refs: pd.Series) -> pd.Series:
    """``g.agg(_join_refs)`` for ``g`` = ``refs`` grouped (an existing groupby is reused).

    When every ref is ``file:line`` of one file (the usual case: one input table), the
    groups are joined on the bytes of the refs as Arrow text (``_arrow_refs``) instead of
    splitting each ref in Python; anything else takes ``_join_refs`` group by group."""
    sizes = g.size()
    if sizes.empty:
        return g.agg(_join_refs)
    if (joined := _arrow_refs(g, sizes, refs)) is not None:
        return pd.Series(joined, index=sizes.index, name=refs.name)
    vals, starts, ends = _by_group(g, sizes, refs)
    return pd.Series([_join_refs(vals[a:b]) for a, b in zip(starts, ends, strict=True)],
                     index=sizes.index, name=refs.name)


def _arrow_refs(g: Any, sizes: pd.Series, refs: pd.Series) -> np.ndarray | None:
    """``_join_refs`` of each group for refs in Arrow text (as ``kaohe.dataset`` loads them)
    when every ref is "file:line" of one file, worked on the Arrow buffers: no Python string
    per row, one per group. Refs held as Python text (frames made in memory) are made Arrow
    text first. None otherwise (the general path then decides)."""
    if isinstance(refs.dtype, pd.StringDtype) and refs.dtype.storage == "pyarrow":
        arr = pa.array(refs.array)
    else:
        try:  # anything but text (None, NaN, numbers) is refused here
            arr = pa.array(refs.to_numpy(dtype=object), type=pa.string(), from_pandas=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return None
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.null_count or not len(arr):
        return None
    ref = arr[0].as_py()
    if ":" not in ref:
        return None
    prefix = ref.rsplit(":", 1)[0] + ":"
    order = _group_order(g)
    if order is not None:
        arr = arr.take(pa.array(order))
    arr = arr.cast(pa.large_string())  # 64-bit offsets: the buffers below are read as such
    if not pc.all(pc.starts_with(arr, prefix)).as_py():
        return None
    _, offs_buf, data_buf = arr.buffers()
    offs = np.frombuffer(offs_buf, dtype=np.int64)[arr.offset:arr.offset + len(arr) + 1]
    data = np.frombuffer(data_buf, dtype=np.uint8)[offs[0]:offs[-1]]
    offs = offs - offs[0]
    n, p = len(arr), len(prefix.encode())
    # one colon per ref (the prefix's last byte), and no line break: "file:line" each
    if (np.count_nonzero(data == ord(":")) != n * prefix.count(":")
            or np.count_nonzero(data == ord("\n"))):
        return None
    size = sizes.to_numpy()
    ends = np.cumsum(size)
    starts = ends - size
    # a ref that is not first in its group loses its "file:" to a ",": "file:2,5,9"
    later = np.ones(n, dtype=bool)
    later[starts] = False
    first = offs[:-1] + np.where(later, p - 1, 0)  # its first byte kept: the ":" or "f"
    length = offs[1:] - first
    kept = np.zeros(n + 1, dtype=np.int64)  # where each ref's kept bytes start in the result
    np.cumsum(length, out=kept[1:])
    at = np.repeat(first - kept[:-1], length)  # one gather of every kept byte
    at += np.arange(kept[-1])
    text = data[at]
    text[kept[:-1][later]] = ord(",")  # that ":" becomes the comma between two lines
    joined = pa.LargeStringArray.from_buffers(len(size), pa.py_buffer(kept[np.r_[0, ends]]),
                                              pa.py_buffer(text))
    out: np.ndarray = joined.to_numpy(zero_copy_only=False)
    small = np.flatnonzero(size <= 3)  # up to three refs are shown whole: "a:2；a:5"
    if len(small):
        vals = arr.to_pylist() if len(small) * 4 > len(size) else None
        for k in small:
            a, b = int(starts[k]), int(ends[k])
            out[k] = "；".join(vals[a:b] if vals is not None else arr[a:b].to_pylist())
    return out


def _join_refs(refs: Iterable[str]) -> str:
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


def on_units(frame: FrameOrSeries, units: pd.Index) -> FrameOrSeries:
    """``frame.reindex(units)``, indexed by ``units`` itself when it already holds them in
    order (a leaf's values per unit usually do). pandas compares two equal indexes of text
    id by id (40,000 ids, at every reindex and every operation between two Series) unless
    they are the same object: so a rule's results share one index, its units'."""
    if frame.index.equals(units):
        return frame.set_axis(units)
    return frame.reindex(units)


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
    refs = _grouped_refs(g["ref"], values["ref"])
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
    codes, _ = pd.factorize(grp)
    if len(codes) and codes.min() >= 0:  # each entry's group size, looked up by number
        size = pd.Series(np.bincount(codes).astype(np.int64)[codes], index=grp.index)
    else:  # a missing group (it has no size: NaN)
        size = grp.map(grp.value_counts())
    cum = np.cumsum(shares)
    tier = pd.Series(len(shares), index=values.index, dtype=int)  # the last tier by default
    for j in range(len(cum) - 1, -1, -1):
        cuts = size.map({n: round_count(cum[j] * n, rounding) for n in size.unique()})
        tier = tier.where(pos > cuts, j)
    return tier.astype(int)

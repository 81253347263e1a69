"""The bulletin (通报): decisions first (grades, 先进, 警示, 连续年度, 一票否决), then 共性失分,
then the tables and charts. Each function takes a ``Doc`` and returns a ``Fragment``."""

from __future__ import annotations

import pandas as pd

from ...rules.base import fmt
from ...rules.events import EFFECT_ZH
from .. import charts
from ..data import ReportData
from ..html import (
    DASH,
    Cell,
    Column,
    Fragment,
    esc,
    exact,
    is_missing,
    num,
    paragraph,
    pct,
    signed,
    table,
    tag,
)
from ..plan import bulletin_title
from .common import (
    EPS,
    HEATMAP_NUMBERS,
    Doc,
    _flag_names,
    _group_title,
    _specs_for,
    _warning_name,
    masthead,
)


def bulletin(data: ReportData) -> Doc:
    """Start the bulletin of a scheme-year."""
    return Doc(data)


def bulletin_header(doc: Doc) -> Fragment:
    r = doc.rubric
    intro = []
    if r.document:
        intro.append(f"按照{r.document}的规定，")
    who = r.authority or "考核办"
    intro.append(f"{who}组织开展了{r.title}。现将考核结果通报如下。")
    return masthead(doc, bulletin_title(r.title)) + paragraph("".join(intro))


def overview(doc: Doc) -> Fragment:
    """一、总体情况: how many units, best, lowest and mean, and the grade distribution."""
    t = doc.totals
    kinds = t["kind"].value_counts(sort=False)
    by_kind = "、".join(f"{doc.data.kind_name(k)}{n}个" for k, n in kinds.items())
    best = t.loc[t["total"].idxmax()]
    worst = t.loc[t["total"].idxmin()]
    groups = doc.groups()
    text = (f"本次考核共{len(t)}个单位参加（{by_kind}）"
            + (f"，分{len(groups)}组排名" if len(groups) > 1 else "，统一排名")
            + f"。总分最高{num(best['total'])}分（{best['name']}），最低{num(worst['total'])}分"
            f"（{worst['name']}），平均{num(t['total'].mean())}分。")
    counts = []
    if doc.has("advanced"):
        counts += [f"{name}{len(members)}个" for name, members in _advanced_lists(doc)]
    if doc.has("warning"):
        counts.append(f"{_warning_name(doc)}{int(t['warning'].sum())}个")
    counts.append(f"一票否决{int(t['vetoed'].sum())}个")
    text += "其中" + "，".join(counts) + "。"
    parts = [doc.heading("总体情况"), tag("p", text)]
    dist = grade_distribution(doc)
    if dist is not None:
        parts.append(dist.html)
    return Fragment("".join(parts), "总体情况")


def _within_title(doc: Doc, col: str, members: pd.DataFrame) -> str:
    """A grouping column as a reader names it: the kind of the units whose names its values
    are (guangyuan's townships are graded within ``county``, which holds county names:
    县（区）), else 分组."""
    t = doc.totals
    values = set(members[col].dropna().astype(str)) - {""}
    named = t[t["name"].isin(values)]
    if values and values <= set(named["name"]):
        return "、".join(doc.data.kind_name(k) for k in dict.fromkeys(named["kind"]))
    return "分组"


def grade_distribution(doc: Doc) -> Fragment | None:
    """Units per grade (for each grade spec): count, share and names in rank order; a spec
    that grades within groups (guangyuan's townships within their county) is shown group by
    group, its shares taken in each group, as the rubric takes them."""
    t = doc.totals
    specs = doc.rubric.results.grades
    if not specs or not doc.has("grade"):
        return None
    within = list(dict.fromkeys(c for g in specs for c in g.within if c in t.columns))
    graded = t[t["grade"].map(lambda x: isinstance(x, str) and x != "")]
    rows = []
    for g in specs:
        members = t[t["kind"].isin(g.kinds)] if g.kinds else t
        label = "、".join(doc.data.kind_name(k) for k in g.kinds) if len(specs) > 1 else ""
        keys = [c for c in g.within if c in t.columns]
        parts = (members.groupby(keys, sort=False, dropna=False) if keys
                 else [((), members)])
        for key, part in parts:
            key = key if isinstance(key, tuple) else (key,)
            where = dict(zip(keys, key, strict=True))
            for tier in g.tiers:
                m = part[part["grade"] == tier.name].sort_values(["group", "rank"],
                                                                  kind="mergesort")
                share = len(m) / len(part) if len(part) else float("nan")
                rows.append(([label] if label else [])
                            + [str(where.get(c, "")) or DASH for c in within]
                            + [tier.name, str(len(m)), pct(share), "、".join(m["name"]) or DASH])
    cols = ([Column("适用单位")] if len(specs) > 1 else []) + [
        Column(_within_title(doc, c, graded), nowrap=True) for c in within] + [
        Column("等次"), Column("单位数", True), Column("占比", True), Column("单位（按名次）")]
    return table(cols, rows, doc.caption("等次分布"))


def _ranking_columns(doc: Doc, members: pd.DataFrame) -> list[tuple[str, Column]]:
    """Columns of a group's ranking table; empty ones (all zero, not used) are left out."""
    _, maxed = doc.top_nodes()
    r = doc.rubric
    cols: list[tuple[str, Column]] = [("rank", Column("名次", True)),
                                      ("name", Column("单位", nowrap=True))]
    for top in r.indicators:
        if top.id in maxed.columns and (maxed.loc[members.index, top.id] > EPS).any():
            cols.append((top.id, Column(f"{top.name}（{fmt(top.max_points)}分）", True)))
    if ((members["base_max"] - r.full_score).abs() > EPS).any():
        cols.append(("rescaled", Column("缺项折算后", True)))
    for step in r.order:
        if step != "rescale" and doc.has(step) and (members[step].abs() > EPS).any():
            cols.append((step, Column(doc.name(step), True)))
    cols.append(("total", Column("总分", True)))
    if doc.has("converted") and (members["converted"] > EPS).any():
        names = {c.name for k in members["kind"].unique() for c in _specs_for(
            r.results.conversion, k)}
        cols.append(("converted", Column(names.pop() if len(names) == 1 else "折算加分", True)))
    if doc.has("grade") and doc.tiers():
        cols.append(("grade", Column("等次", nowrap=True)))
    cols.append(("remarks", Column("备注", nowrap=True)))
    return cols


def ranking_table(doc: Doc, group: str) -> Fragment:
    """One ranking group: rank, unit, first-level subtotals, adjustments, total, grade."""
    t = doc.totals
    members = t[t["group"] == group].sort_values(["rank", "total"], ascending=[True, False],
                                                 kind="mergesort")
    cols = _ranking_columns(doc, members)
    _, maxed = doc.top_nodes()
    rows, classes, attrs = [], [], []
    for u, row in members.iterrows():
        deltas = _ranking_deltas(doc, row)
        cells: list[object] = []
        for key, _col in cols:
            if key == "rank":
                cells.append(str(int(row["rank"])))
            elif key == "remarks":
                text = "；".join(_flag_names(doc, u))
                veto = deltas.get("veto", 0.0)
                cells.append(Cell(text, (("data-delta", exact(veto)),)) if abs(veto) > EPS else text)
            elif key == "name":
                cells.append(Cell(f'<a href="{esc(doc.unit_href(u))}">{esc(row["name"])}</a>',
                                  raw=True) if doc.unit_href(u) else str(row["name"]))
            elif key == "grade":
                cells.append("" if is_missing(row[key]) else str(row[key]))
            elif key == "total":
                cells.append(Cell(num(row[key]), (("data-total", exact(row[key])),)))
            elif key in doc.data.top_ids:
                cells.append(Cell(num(row[key]), (("data-delta", exact(row[key])),))
                             if maxed.at[u, key] > EPS else DASH)
            elif key in deltas:
                shown = num(row[key]) if key == "rescaled" else signed(row[key])
                cells.append(Cell(shown, (("data-delta", exact(deltas[key])),)))
            else:
                cells.append(num(row[key]))
        rows.append(cells)
        attrs.append({"data-unit": str(u), "data-start": "0.0"})
        classes.append("vetoed" if row["vetoed"] else
                       ("advanced" if doc.has("advanced") and row["advanced"] else ""))
    return table([c for _, c in cols], rows, doc.caption(f"{_group_title(doc, group)}考核结果"),
                 cls="grid ranking", row_classes=classes, row_attrs=attrs)


def _ranking_deltas(doc: Doc, row: pd.Series) -> dict[str, float]:
    """How a ranking row's columns add up to its total, in the rubric's order: the
    first-level points add up to ``base``; 缺项折算后 adds ``rescaled − running``;
    each adjustment its points; a veto that zeroes the total the rest."""
    running = float(row["base"])
    out: dict[str, float] = {}
    for step in doc.rubric.order:
        if step == "rescale":
            out["rescaled"] = float(row["rescaled"]) - running
            running = float(row["rescaled"])
        elif doc.has(step) and not is_missing(row[step]):
            out[step] = float(row[step])
            running += float(row[step])
    if abs(float(row["total"]) - running) > EPS:
        out["veto"] = float(row["total"]) - running
    return out


def _ranking_finding(doc: Doc, group: str, members: pd.DataFrame) -> str:
    """A ranking chart's title states what it shows: how many units fell in the lowest
    grade (or below the mean, without grades), and the range of totals."""
    who = _group_title(doc, group)
    lo, hi = num(members["total"].min()), num(members["total"].max())
    tiers = doc.tiers(members["kind"].iloc[0])
    if tiers and doc.has("grade"):
        k = int((members["grade"] == tiers[-1]).sum())
        return f"{who}中{k}个评为“{tiers[-1]}”（总分{lo}～{hi}分，按等次着色）"
    mean = members["total"].mean()
    k = int((members["total"] < mean - EPS).sum())
    return f"{who}中{k}个总分低于平均分{num(mean)}分（总分{lo}～{hi}分）"


def ranking_chart(doc: Doc, group: str) -> Fragment:
    t = doc.totals
    members = t[t["group"] == group].sort_values(["rank", "total"], ascending=[True, False],
                                                 kind="mergesort")
    kind = members["kind"].iloc[0]
    grades = members["grade"].fillna("").tolist() if doc.has("grade") else [""] * len(members)
    caption = _ranking_finding(doc, group, members)
    svg = charts.ranked_bars(members["name"].tolist(), members["total"].tolist(), grades,
                             doc.tiers(kind), caption)
    return Fragment(doc.figure(svg, caption), "图")


def rankings(doc: Doc) -> Fragment:
    """二、考核结果: a ranking table and a ranked bar chart per group."""
    parts = [doc.heading("考核结果")]
    r = doc.rubric
    note = (f"总分按{r.results.ranking.decimals}位小数排名，同分同名次"
            + ("；一票否决的单位排在本组最后" if r.results.ranking.vetoed_last else "") + "。")
    if ((doc.totals["base_max"] - r.full_score).abs() > EPS).any():
        note += (f"有不适用指标的单位，一级指标得分合计按“得分÷适用指标满分×{fmt(r.full_score)}”"
                 "折算（“缺项折算后”一列）。")
    parts.append(tag("p", note))
    for g in doc.groups():
        if g:
            parts.append(tag("h3", _group_title(doc, g)))
        parts.append(ranking_table(doc, g).html)
        parts.append(ranking_chart(doc, g).html)
    return Fragment("".join(parts), "考核结果")


def _unit_list_table(doc: Doc, members: pd.DataFrame, caption: str, extra=None) -> Fragment:
    members = members.sort_values(["group", "rank"], kind="mergesort")
    many = len(doc.groups()) > 1
    cols = ([Column("排名组")] if many else []) + [Column("名次", True), Column("单位", nowrap=True),
                                                   Column("总分", True)]
    if doc.has("grade"):
        cols.append(Column("等次"))
    if extra:
        cols.append(Column(extra[0]))
    rows = []
    for u, row in members.iterrows():
        cells = ([row["group"]] if many else []) + [str(int(row["rank"])), row["name"],
                                                    num(row["total"])]
        if doc.has("grade"):
            cells.append("" if is_missing(row["grade"]) else row["grade"])
        if extra:
            cells.append(extra[1](u))
        rows.append(cells)
    return table(cols, rows, doc.caption(caption))


def _advanced_lists(doc: Doc) -> list[tuple[str, pd.DataFrame]]:
    """Each advanced list by name (specs for several kinds may share a name) with its units
    in rank order."""
    t = doc.totals
    specs = doc.rubric.results.advanced
    out = []
    for name in dict.fromkeys(s.name for s in specs):
        same = [s for s in specs if s.name == name]
        kinds = {k for s in same for k in s.kinds}
        members = t[t["advanced"]] if doc.has("advanced") else t.iloc[0:0]
        if not any(not s.kinds for s in same):
            members = members[members["kind"].isin(kinds)]
        out.append((name, members.sort_values(["group", "rank"], kind="mergesort")))
    return out


def honours(doc: Doc) -> Fragment | None:
    """Advanced lists (通报表扬, 先进单位, 流动红旗 …): who, by which rule."""
    specs = doc.rubric.results.advanced
    if not specs:
        return None
    lists = _advanced_lists(doc)
    parts = [doc.heading("、".join(name for name, _ in lists))]
    for name, members in lists:
        rule = "；".join(_advanced_rule(doc, s) for s in specs if s.name == name)
        if len(members):
            parts.append(tag("p", f"根据考核结果，{'、'.join(members['name'])}"
                                  f"共{len(members)}个单位评为{name}（{rule}）。"))
            parts.append(_unit_list_table(doc, members, name).html)
        else:
            parts.append(tag("p", f"本次考核没有单位评为{name}（{rule}）。"))
    return Fragment("".join(parts), "先进")


def history_flags(doc: Doc) -> Fragment | None:
    """Results over consecutive years (连续两年末位 → 诫勉谈话, 连续两年先进 → 表扬 …)."""
    flags = [hf for hf in doc.rubric.results.history_flags if doc.has(hf.id)]
    if not flags:
        return None
    t = doc.totals
    parts = [doc.heading("连续年度考核结果运用")]
    for hf in flags:
        members = t[t[hf.id]].sort_values(["group", "rank"], kind="mergesort")
        who = "、".join(doc.data.kind_name(k) for k in hf.kinds) or "单位"
        cond = f"连续{hf.years}年{_history_rule(hf)}的{who}"
        if len(members):
            parts.append(tag("p", f"{hf.name}：{cond}，共{len(members)}个："
                                  f"{'、'.join(members['name'])}。"))
        else:
            parts.append(tag("p", f"{hf.name}：{cond}，本次没有。"))
    return Fragment("".join(parts), "连续年度")


def _advanced_rule(doc: Doc, s) -> str:
    who = "、".join(doc.data.kind_name(k) for k in s.kinds) or "各单位"
    extra = f"，且总分不低于{num(s.min_total)}分" if s.min_total is not None else ""
    if s.grade_in:  # the engine selects by grade alone then (results._advanced)
        grades = "、".join(f"“{g}”" for g in s.grade_in)
        return f"{who}中等次评为{grades}的单位{extra}，一票否决的单位不得评选"
    within = "各组" if s.within else ""
    n = f"前{s.top_n}名" if s.top_n is not None else f"前{num((s.top_share or 0) * 100, 0)}%"
    return f"{who}{within}按总分{n}{extra}，一票否决的单位不得评选"


def _history_rule(hf) -> str:
    return {"last_in_group": "排名本组最后", "bottom_share": f"排名位于本组后{num((hf.share or 0) * 100, 0)}%",
            "advanced": "评为先进"}[hf.when]


def warnings_list(doc: Doc) -> Fragment | None:
    """Warning list (警示) with the rule that put each unit on it."""
    specs = doc.rubric.results.warning
    if not specs or not doc.has("warning"):
        return None
    t = doc.totals
    names = list(dict.fromkeys(s.name for s in specs))
    parts = [doc.heading("、".join(names))]
    members = t[t["warning"]]
    rule = "；".join(_warning_rule(doc, s) for s in specs)
    if len(members):
        parts.append(tag("p", f"{'、'.join(members.sort_values(['group', 'rank'])['name'])}"
                              f"共{len(members)}个单位列为{'、'.join(names)}（{rule}）。"))
        parts.append(_unit_list_table(doc, members, "、".join(names)).html)
    else:
        parts.append(tag("p", f"本次考核没有单位列为{'、'.join(names)}（{rule}）。"))
    return Fragment("".join(parts), "警示")


def _warning_rule(doc: Doc, s) -> str:
    who = "、".join(doc.data.kind_name(k) for k in s.kinds) or "各单位"
    conds = []
    if s.below is not None:
        conds.append(f"总分低于{num(s.below)}分")
    if s.bottom_share is not None:
        conds.append(f"排名位于本组后{num(s.bottom_share * 100, 0)}%")
    return who + "或".join(conds)


def vetoes(doc: Doc) -> Fragment:
    """一票否决: each case with the unit, indicator, what happened and the data row."""
    f = doc.data.flags
    bars_only = len(f) and not f["effect"].isin(["zero", "last_grade"]).any()
    parts = [doc.heading("取消评先资格" if bars_only else "一票否决")]
    if f.empty:
        parts.append(tag("p", "本次考核没有单位被一票否决或取消评先资格。"))
        return Fragment("".join(parts), "一票否决")
    names = doc.totals["name"]
    rows = [[names.get(r["unit_id"], r["unit_id"]), doc.name(r["indicator_id"]),
             EFFECT_ZH.get(r["effect"], r["effect"]), doc.words(r["text"]), doc.ref(r["ref"])]
            for _, r in f.iterrows()]
    parts.append(tag("p", f"共{f['unit_id'].nunique()}个单位出现一票否决或取消评先情形："))
    parts.append(table([Column("单位", nowrap=True), Column("指标"), Column("处理"), Column("情形"),
                        Column("数据来源", nowrap=True)], rows, doc.caption("一票否决情形")).html)
    return Fragment("".join(parts), "一票否决")


COMMON_LOSSES = 10  # indicators the bulletin lists as 共性失分


def common_losses(doc: Doc) -> Fragment | None:
    """共性失分: the indicators where the units together lost most points of their totals
    (each loss at its cost in the total, as 得分核对 carries it), with how many units lost
    points there. None when no unit lost any."""
    cost: dict[str, float] = {}
    units: dict[str, int] = {}
    n = len(doc.totals)
    for u in doc.totals.index:
        steps = doc.reconciliation(u).steps
        for _, st in steps[steps["kind"] == "loss"].iterrows():
            cost[st["node_id"]] = cost.get(st["node_id"], 0.0) - st["delta"]
            units[st["node_id"]] = units.get(st["node_id"], 0) + 1
    if not cost:
        return None
    top = sorted(cost, key=lambda k: (-round(cost[k], 6), k))[:COMMON_LOSSES]
    total = sum(cost.values())
    rows = [[str(i), doc.label(k), str(units[k]), num(cost[k] / n), pct(cost[k] / total)]
            for i, k in enumerate(top, 1)]
    parts = [doc.heading("共性失分"),
             tag("p", f"各单位失分（折合总分）合计{num(total)}分，平均每个单位{num(total / n)}分。"
                      f"失分最多的{len(top)}项指标如下，应作为下一步工作的重点。"),
             table([Column("序号", True), Column("指标"), Column("失分单位数", True),
                    Column("平均每单位失分", True), Column("占全部失分", True)], rows,
                   doc.caption("失分最多的指标")).html]
    return Fragment("".join(parts), "共性失分")


def conversion(doc: Doc) -> Fragment | None:
    """Over-the-top conversion (超过100分部分折算): an output for another system, one spec
    per unit kind at most."""
    specs = doc.rubric.results.conversion
    if not specs or not doc.has("converted"):
        return None
    t = doc.totals
    parts = [doc.heading("、".join(dict.fromkeys(c.name for c in specs)))]
    for c in specs:
        who = "、".join(doc.data.kind_name(k) for k in c.kinds) or "各单位"
        members = t[t["kind"].isin(c.kinds)] if c.kinds else t
        m = members[members["converted"] > EPS].sort_values(["group", "rank"], kind="mergesort")
        cap = f"，最多{num(c.cap)}分" if c.cap is not None else ""
        parts.append(tag("p", f"{who}总分超过{num(c.above)}分的部分，每分折算{num(c.rate)}分"
                              f"{cap}，计入{c.name}。"))
        if len(m):
            rows = [[r["name"], num(r["total"]), num(r["total"] - c.above), num(r["converted"])]
                    for _, r in m.iterrows()]
            parts.append(table([Column("单位", nowrap=True), Column("总分", True),
                                Column(f"超过{num(c.above)}分部分", True), Column(c.name, True)],
                               rows, doc.caption(f"{who}{c.name}")).html)
        else:
            parts.append(tag("p", f"没有{who}总分超过{num(c.above)}分。"))
    return Fragment("".join(parts), "折算")


def heatmaps(doc: Doc) -> Fragment:
    """Units × first-level indicators: the share of points earned, per ranking group. A
    group scored on one indicator has no heat map (its shares are the ranking again); a
    scheme with no group of two or more has no such section."""
    shares = doc.shares()
    annotate = shares.notna().to_numpy().sum() <= HEATMAP_NUMBERS
    figures = []
    for g in doc.groups():
        members = doc.totals[doc.totals["group"] == g].sort_values("rank", kind="mergesort")
        s = shares.loc[members.index]
        s = s[[c for c in s.columns if s[c].notna().any()]]
        if s.shape[1] < 2:
            continue
        cols = [doc.name(c) for c in s.columns]
        mean = s.mean()  # each indicator's mean share over the units it applies to
        low = mean.idxmin()
        caption = (f"{_group_title(doc, g)}一级指标得分率：{doc.name(low)}平均得分率最低"
                   f"（{pct(mean[low])}）")
        figures.append((members["name"].tolist(), cols, s.to_numpy(dtype=float), caption))
    if not figures:
        return Fragment("", "分项得分率")
    parts = [doc.heading("分项得分率"),
             tag("p", "下图为各单位一级指标得分占该指标适用满分的比例（%），灰色为不适用的指标"
                      + ("。" if annotate else "；各项得分见考核结果表。"))]
    for names, cols, values, caption in figures:
        svg = charts.heatmap(names, cols, values, caption, annotate)
        parts.append(doc.figure(svg, caption))
    return Fragment("".join(parts), "分项得分率")


def previous_year(doc: Doc) -> tuple[int | None, pd.DataFrame]:
    """The latest earlier year in the history and its rows (indexed by unit)."""
    h = doc.data.history
    h = h[h["year"].notna() & (h["year"] < doc.rubric.year)] if len(h) else h
    if h.empty:
        return None, h
    year = int(h["year"].max())
    return year, h[h["year"] == year].set_index("unit_id")


def _grade_text(x: object) -> str:
    return x if isinstance(x, str) and x else DASH


def change(doc: Doc) -> Fragment | None:
    """与上年比较: total, rank and grade against the latest earlier year, where there is one.
    The change is taken between the totals as published (rounded as ranked), so the table's
    own numbers add up."""
    year, prev = previous_year(doc)
    if year is None:
        return None
    d = doc.rubric.results.ranking.decimals
    grades = doc.has("grade") or prev["grade"].map(lambda g: isinstance(g, str) and g != "").any()
    t = doc.totals.sort_values(["group", "rank"], kind="mergesort")
    rows = []
    for u, r in t.iterrows():
        now = [_grade_text(r["grade"]) if doc.has("grade") else DASH]
        if u in prev.index:
            p = prev.loc[u]
            d_rank = (int(p["rank"]) - int(r["rank"])) if not is_missing(p["rank"]) else None
            rank_change = DASH if d_rank is None else (
                f"上升{d_rank}位" if d_rank > 0 else f"下降{-d_rank}位" if d_rank < 0 else "持平")
            delta = float(num(r["total"], d)) - float(num(p["total"], d))
            row = [r["name"], num(p["total"]), num(r["total"]), signed(delta),
                   DASH if is_missing(p["rank"]) else str(int(p["rank"])), str(int(r["rank"])),
                   rank_change] + ([_grade_text(p["grade"])] + now if grades else [])
        else:
            row = [r["name"], DASH, num(r["total"]), DASH, DASH, str(int(r["rank"])),
                   "上年未参加"] + ([DASH] + now if grades else [])
        rows.append(row)
    y0, y1 = year, doc.rubric.year
    cols = [Column("单位", nowrap=True), Column(f"{y0}年总分", True), Column(f"{y1}年总分", True),
            Column("增减", True), Column(f"{y0}年名次", True), Column(f"{y1}年名次", True),
            Column("名次变化", nowrap=True)]
    if grades:
        cols += [Column(f"{y0}年等次", nowrap=True), Column(f"{y1}年等次", nowrap=True)]
    parts = [doc.heading(f"与{y0}年度比较"),
             tag("p", f"与{y0}年度考核结果相比，各单位总分、名次"
                      + ("和等次" if grades else "") + "的变化如下（名次为各自排名组内的名次）。"),
             table(cols, rows, doc.caption(f"与{y0}年度比较")).html]
    return Fragment("".join(parts), "与上年比较")

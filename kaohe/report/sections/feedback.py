"""A unit's feedback report (反馈): its result, 得分核对, 失分明细, 得满分指标, its indicators,
adjustments, self-assessment, trend and its own input rows."""

from __future__ import annotations

import re

import pandas as pd

from ...rules.base import fmt
from ...rules.events import EFFECT_ZH
from .. import charts
from ..data import ReportData
from ..html import (
    DASH,
    Column,
    Fragment,
    esc,
    exact,
    is_missing,
    key_values,
    num,
    pct,
    signed,
    table,
    tag,
)
from ..plan import bulletin_title, page_name
from ..views import unit_view
from .common import EPS, Doc, _flag_names, _specs_for, masthead
from .internal import _self_check_tolerance


def feedback(data: ReportData, unit_id: str | None = None) -> Doc:
    """Start the feedback report of one unit (the first unit when none is given)."""
    ids = data.unit_ids()
    if unit_id is None:
        unit_id = ids[0]
    if unit_id not in ids:
        raise KeyError(f"单位“{unit_id}”不在本年度考核单位中")
    return Doc(unit_view(data, unit_id), unit_id)


def feedback_header(doc: Doc) -> Fragment:
    u = doc.unit_id
    row = doc.totals.loc[u]
    sub = f"被考核单位：{row['name']}（{doc.data.kind_name(row['kind'])}）"
    head = masthead(doc, doc.rubric.title + "结果反馈", sub)
    links = ['<a href="../bulletin.html">' + esc(bulletin_title(doc.rubric.title)) + "</a>"]
    prev, nxt = _neighbours(doc)
    if prev is not None:
        links.insert(0, f'<a class="prev" href="{esc(page_name(prev))}.html">上一个单位</a>')
    if nxt is not None:
        links.append(f'<a class="next" href="{esc(page_name(nxt))}.html">下一个单位</a>')
    back = tag("p", "", "doc-nav", raw='<span class="sep">｜</span>'.join(links))
    return Fragment(head.html + back, head.what)


def _neighbours(doc: Doc) -> tuple[str | None, str | None]:
    """The units before and after this one in its ranking group, in the order the data
    lists them (not by score: a unit's report reads no other unit's result, so a
    correction elsewhere in the group does not change this page)."""
    ids = list(doc.totals.index)
    i = ids.index(doc.unit_id)
    return (ids[i - 1] if i > 0 else None), (ids[i + 1] if i + 1 < len(ids) else None)


def result(doc: Doc) -> Fragment:
    """一、考核结果: total, rank in the group, grade, status, and how the total is made."""
    u = doc.unit_id
    r = doc.rubric
    row = doc.totals.loc[u]
    group = row["group"] or "全部单位"
    figs = [("总分", num(row["total"]), f"满分{fmt(r.full_score)}分"),
            ("名次", f"第{int(row['rank'])}名", f"{group}共{int(row['group_size'])}个")]
    if doc.has("grade") and isinstance(row["grade"], str) and row["grade"]:
        figs.append(("等次", row["grade"], ""))
    figs.append(("结果", "；".join(_flag_names(doc, str(u))) or "—", ""))
    boxes = "".join(f'<div class="keyfig"><div class="k">{esc(k)}</div>'
                    f'<div class="v">{esc(v)}</div>'
                    + (f'<div class="n">{esc(n)}</div>' if n else "") + "</div>"
                    for k, v, n in figs)
    parts = [doc.heading("考核结果"), f'<div class="keyfigs">{boxes}</div>']
    comp = [("一级指标得分合计", f"{num(row['base'])}分（适用指标满分{num(row['base_max'])}分）")]
    if abs(row["base_max"] - r.full_score) > EPS:
        comp.append((f"折算为{fmt(r.full_score)}分制", f"{num(row['rescaled'])}分"))
    for step in _point_adjustments(doc):
        comp.append((doc.name(step), f"{signed(row[step])}分"))
    comp.append(("总分", f"{num(row['total'])}分"))
    for c in _specs_for(r.results.conversion, row["kind"])[:1]:
        comp.append((c.name, f"{num(row['converted'])}分"))
    parts.append(key_values(comp, "kv composition").html)
    if isinstance(row.get("explain"), str) and row["explain"]:
        parts.append(tag("p", "说明：" + row["explain"] + "。"))
    return Fragment("".join(parts), "考核结果")


def reconciliation(doc: Doc) -> Fragment:
    """得分核对: from the full score to the total, every step in total-score points.

    Marked up so a program can re-add it: ``table.reconcile``, the first row's
    ``data-start``, each step's ``data-delta``, the last row's ``data-total`` (exact
    numbers as in the score tables; the cells show them rounded to two decimals)."""
    rec = doc.reconciliation()
    rows, attrs = [], []
    n = 0
    for _, s in rec.steps.iterrows():
        if s["kind"] == "start":
            rows.append(["", "满分", s["path"], num(s["delta"])])
            attrs.append({"data-start": exact(s["delta"])})
        elif s["kind"] == "total":
            rows.append(["", "总分", "", num(s["delta"])])
            attrs.append({"data-total": exact(s["delta"])})
        else:
            n += 1
            label = doc.label(s["node_id"]) if s["node_id"] else s["label"]
            rows.append([str(n), label, s["path"], signed(s["delta"])])
            attrs.append({"data-delta": exact(s["delta"])})
    classes = ["start"] + [""] * (len(rows) - 2) + ["total"]
    parts = [doc.heading("得分核对"),
             tag("p", "下表从满分出发，逐项列出每一处得失分折合为总分的分值（经过的权重和折算均已列明），"
                      "各行相加即为总分。表中分值保留两位小数，合计按未经四舍五入的分值计算，"
                      "末位可能相差0.01分。"),
             table([Column("序号", True), Column("项目"), Column("计算"), Column("折合总分", True)],
                   rows, doc.caption("得分核对"), cls="grid reconcile", row_classes=classes,
                   row_attrs=attrs).html]
    return Fragment("".join(parts), "得分核对")


def _point_adjustments(doc: Doc) -> list[str]:
    """Adjustments that carry points, in the rubric's order (a veto carries none)."""
    out = []
    for step in doc.rubric.order:
        if step == "rescale" or not doc.has(step):
            continue
        node = doc.rubric.node(step)
        if node.rule is not None and not node.rule.carries_points:
            continue
        out.append(step)
    return out


def indicators(doc: Doc) -> Fragment:
    """二、分项得分: each first-level indicator against the group's mean and best."""
    u = doc.unit_id
    t = doc.totals
    earned, maxed = doc.top_nodes()
    shares = doc.shares()
    peers = t.index[t["group"] == t.at[u, "group"]]
    rows, names, own, mean, best = [], [], [], [], []
    for top in doc.rubric.indicators:
        if top.id not in maxed.columns or not maxed.at[u, top.id] > EPS:
            continue
        s = shares.loc[peers, top.id].dropna()
        e_peer = earned.loc[peers, top.id][maxed.loc[peers, top.id] > EPS]
        rows.append([top.name, num(maxed.at[u, top.id]), num(earned.at[u, top.id]),
                     pct(shares.at[u, top.id]), num(e_peer.mean()), pct(s.mean()),
                     num(e_peer.max()), pct(s.max())])
        names.append(top.name)
        own.append(shares.at[u, top.id])
        mean.append(s.mean())
        best.append(s.max())
    group = t.at[u, "group"] or "全部单位"
    parts = [doc.heading("分项得分"),
             tag("p", f"组内平均、组内最好按{group}中该指标适用的单位计算；得分率为得分占适用满分的比例。"),
             table([Column("一级指标"), Column("满分", True), Column("得分", True),
                    Column("得分率", True), Column("组内平均", True), Column("平均得分率", True),
                    Column("组内最好", True), Column("最好得分率", True)], rows,
                   doc.caption("一级指标得分")).html]
    below = sum(1 for o, m in zip(own, mean, strict=True) if o < m - EPS)
    caption = (f"{len(names)}项一级指标中{below}项得分率低于组内平均" if below
               else f"{len(names)}项一级指标得分率均不低于组内平均")
    parts.append(doc.figure(charts.indicator_profile(names, own, mean, best, caption), caption))
    return Fragment("".join(parts), "分项得分")


def lost_points(doc: Doc) -> pd.DataFrame:
    """Every point this unit lost, costliest first: indicator, points on the item's own scale
    (``lost``), the same in total-score points (``cost``, through the weights and
    rescaling of 得分核对), reason, input, data row.

    Rules that start from the maximum explain each deduction with a line (a line that gives
    points back, 扣完为止, counts against its indicator's losses); rules that start from
    zero explain the shortfall from the maximum in one reason. Adjustments only lose points
    through deduction lines (a bonus not earned is not a loss)."""
    u = doc.unit_id
    d = doc.data.details
    d = d[(d["unit_id"] == u) & d["applicable"]]
    lines = doc.data.lines
    lines = lines[lines["unit_id"] == u]
    adjust = {a.id for a in doc.rubric.adjustments}
    rec = doc.reconciliation()
    rows = []
    for order, (_, r) in enumerate(d.iterrows()):
        leaf = r["indicator_id"]
        k = rec.factor(leaf)
        mine = lines[(lines["indicator_id"] == leaf) & (lines["delta"].abs() > EPS)]
        label = _label(r)
        if leaf in adjust:
            for _, ln in mine[mine["delta"] < -EPS].iterrows():
                rows.append((order, -ln["delta"] * k, -ln["delta"], -ln["delta"] * k, label,
                             r["department"], ln["text"], r["inputs"], ln["ref"]))
            continue
        short = r["max"] - r["points"]
        if short <= EPS:
            continue
        if r["lost"] > EPS and len(mine):
            for _, ln in mine.iterrows():
                rows.append((order, short * k, -ln["delta"], -ln["delta"] * k, label,
                             r["department"], ln["text"], r["inputs"], ln["ref"]))
        else:
            rows.append((order, short * k, short, short * k, label, r["department"], r["reason"],
                         r["inputs"], r["refs"]))
    df = pd.DataFrame(rows, columns=["order", "leaf_lost", "lost", "cost", "indicator",
                                     "department", "reason", "input", "ref"])
    # sort on rounded values: 0.4 and 0.40000000000000036 are the same loss
    # an indicator's lines stay together, indicators by their cost in the total
    key = df.assign(cost=df["cost"].round(6), leaf_lost=df["leaf_lost"].round(6))
    df = df.loc[key.sort_values(["leaf_lost", "order", "cost"], ascending=[False, True, False],
                                kind="mergesort").index]
    return df.drop(columns=["order", "leaf_lost"]).reset_index(drop=True)


def _other_kinds_only(doc: Doc, node_id: str, kind: str) -> bool:
    """Is the indicator (or one above it) only for other unit kinds? Then it is not a
    missing item of this unit, just not in its kind's rubric, and the report leaves it out."""
    if "parents" not in doc._cache:
        doc._cache["parents"] = {n.id: p for n, p, _ in doc.rubric.walk()}
    parents = doc._cache["parents"]
    try:
        node = doc.rubric.node(node_id)
    except KeyError:
        return False
    while node is not None:
        spec = node.applies_to
        if spec is not None and spec.kinds and kind not in spec.kinds:
            return True
        node = parents.get(node.id)
    return False


def _text(x: object) -> str:
    return "" if is_missing(x) else str(x)


def _label(r: pd.Series) -> str:
    """An indicator as the tables name it: its section › its name."""
    return (f"{r['section']} › {r['indicator_name']}"
            if r["section"] and r["section"] != r["indicator_name"] else r["indicator_name"])


_ALL_MET = re.compile(r"达到(\d+)项/共\1项要求")


def _full_reason(r: pd.Series) -> str:
    """Why an indicator scored in full: the rule's reason, or, for a rule that explains only
    deductions (none here), what it read: "4项要求均达到，得满分", "无扣分情形，得满分"."""
    if _text(r["reason"]):
        return str(r["reason"])
    inputs = _ALL_MET.sub(lambda m: "该项要求已达到" if m.group(1) == "1" else f"{m.group(1)}项要求均达到",
                          _text(r["inputs"]))
    return f"{inputs}，得满分" if inputs else "得满分"


def full_marks(doc: Doc) -> Fragment | None:
    """得满分指标: every applicable indicator this unit scored in full, with the reason the
    rule gives and the rows it read, so no scored cell is left without a reason (a loss has
    its reason in 失分明细). None when the unit has none."""
    d = doc.data.details
    d = d[(d["unit_id"] == doc.unit_id) & d["applicable"]]
    adjust = {a.id for a in doc.rubric.adjustments}
    d = d[~d["indicator_id"].isin(adjust) & (d["max"] > EPS) & (d["max"] - d["points"] <= EPS)]
    if d.empty:
        return None
    a = doc.appendix()
    rows = []
    for i, (_, r) in enumerate(d.iterrows(), 1):
        refs = _text(r["refs"]) or "；".join(a.loc[a["indicator_id"] == r["indicator_id"], "ref"])
        rows.append([str(i), _label(r), num(r["max"]), _text(r["department"]),
                     doc.words(_full_reason(r)), doc.ref(refs)])
    parts = [doc.heading("得满分指标"),
             tag("p", f"本单位共有{len(d)}项指标得满分，按评分细则顺序列示其评分依据；"
                      "“数据来源”为文末附表“本单位原始数据”的序号。"),
             table([Column("序号", True), Column("指标"), Column("满分", True), Column("评分部门"),
                    Column("评分依据"), Column("数据来源")], rows,
                   doc.caption("得满分指标"), cls="grid full-marks").html]
    return Fragment("".join(parts), "得满分指标")


def losses(doc: Doc) -> Fragment:
    """三、失分明细: every point lost with its reason and input, largest first."""
    df = lost_points(doc)
    parts = [doc.heading("失分明细")]
    if df.empty:
        parts.append(tag("p", "本单位各项指标均得满分，无失分。"))
    else:
        total = df["cost"].sum()
        parts.append(tag("p", f"本单位共有{len(df)}处失分，折合总分合计{num(total)}分，按折合总分的多少排列如下；"
                              "“本项失分”为按该项自身分值计的失分，“折合总分”为经过权重和折算后"
                              "在总分中的失分（见得分核对）；“数据来源”为文末附表“本单位原始数据”的序号。"))
        rows = [[str(i + 1), r["indicator"], num(r["lost"]), num(r["cost"]), _text(r["department"]),
                 doc.words(r["reason"]), r["input"], doc.ref(r["ref"])] for i, r in df.iterrows()]
        rows.append(["", "合计", "", num(total), "", "", "", ""])
        parts.append(table([Column("序号", True), Column("指标"), Column("本项失分", True),
                            Column("折合总分", True), Column("评分部门"), Column("原因"),
                            Column("输入"), Column("数据来源")], rows,
                           doc.caption("失分明细"), cls="grid losses").html)
    d = doc.data.details
    na = d[(d["unit_id"] == doc.unit_id) & ~d["applicable"]]
    kind = doc.totals.at[doc.unit_id, "kind"]
    na = na[~na["indicator_id"].map(lambda i: _other_kinds_only(doc, i, kind))]
    if len(na):
        rows = [[r["indicator_name"], doc.words(r["reason"])] for _, r in na.iterrows()]
        parts.append(tag("p", "以下指标对本单位不适用，不计分："))
        parts.append(table([Column("指标"), Column("说明")], rows,
                           doc.caption("不适用指标")).html)
    return Fragment("".join(parts), "失分明细")


def adjustments(doc: Doc) -> Fragment | None:
    """四、加减分与一票否决: each adjustment's points with reasons; vetoes."""
    u = doc.unit_id
    d = doc.data.details
    adj_ids = [a.id for a in doc.rubric.adjustments
               if a.rule is None or a.rule.carries_points]
    if not adj_ids and not doc.rubric.adjustments:
        return None
    d = d[(d["unit_id"] == u) & d["indicator_id"].isin(adj_ids)]
    lines = doc.data.lines
    lines = lines[(lines["unit_id"] == u) & lines["indicator_id"].isin(adj_ids)]
    parts = [doc.heading("加减分与一票否决")]
    rows = []
    for _, r in d.iterrows():
        mine = lines[lines["indicator_id"] == r["indicator_id"]]
        if not r["applicable"]:
            if _other_kinds_only(doc, r["indicator_id"], doc.totals.at[u, "kind"]):
                continue  # not part of this unit kind's rubric (its reason is another kind's)
            rows.append([r["indicator_name"], DASH, doc.words(r["reason"]), ""])
        elif len(mine):
            for _, ln in mine.iterrows():
                rows.append([r["indicator_name"], signed(ln["delta"]), doc.words(ln["text"]), doc.ref(ln["ref"])])
        else:
            rows.append([r["indicator_name"], signed(r["points"]), doc.words(r["reason"]) or "无此项", doc.ref(r["refs"])])
    if rows:
        parts.append(table([Column("项目", nowrap=True), Column("分值", True), Column("依据"),
                            Column("数据来源", nowrap=True)], rows, doc.caption("加减分")).html)
    f = doc.data.flags
    f = f[f["unit_id"] == u]
    if len(f):
        parts.append(table([Column("指标"), Column("处理"), Column("情形"), Column("数据来源", nowrap=True)],
                           [[doc.name(r["indicator_id"]), EFFECT_ZH.get(r["effect"], r["effect"]),
                             doc.words(r["text"]), doc.ref(r["ref"])] for _, r in f.iterrows()],
                           doc.caption("一票否决情形")).html)
    else:
        parts.append(tag("p", "本单位未被一票否决。"))
    return Fragment("".join(parts), "加减分")


def self_check(doc: Doc) -> Fragment | None:
    """五、自评与核定: the unit's self-assessed points against the verified ones."""
    s = doc.data.self_check
    s = s[(s["unit_id"] == doc.unit_id) & s["self_points"].notna() & s["verified_points"].notna()] \
        if len(s) else s
    if s.empty:
        return None
    tol = _self_check_tolerance(doc)
    cols = [Column("指标"), Column("自评", True), Column("核定", True), Column("差额", True)]
    rows = [[doc.name(r["indicator_id"]), num(r["self_points"]), num(r["verified_points"]),
             signed(r["gap"])] for _, r in s.iterrows()]
    if tol is not None:  # only a rubric with an allowed deviation makes a gap a finding
        limit, over_only = tol
        cols.append(Column(f"超出允许偏差{fmt(limit)}分"))
        for cells, g in zip(rows, s["gap"], strict=True):
            cells.append("是" if (g if over_only else abs(g)) > limit + EPS else "否")
    cols.append(Column("数据来源", nowrap=True))
    for cells, ref in zip(rows, s["ref"] if "ref" in s else [""] * len(s), strict=True):
        cells.append(doc.ref(ref))
    gap = s["gap"].sum()
    parts = [doc.heading("自评与核定"),
             tag("p", f"本单位自评{num(s['self_points'].sum())}分，核定{num(s['verified_points'].sum())}分，"
                      f"相差{signed(gap)}分。"),
             table(cols, rows, doc.caption("自评与核定")).html]
    return Fragment("".join(parts), "自评与核定")


def trend(doc: Doc) -> Fragment | None:
    """六、历年情况: this unit's earlier results and this year's, where there are any."""
    u = doc.unit_id
    h = doc.data.history
    h = h[(h["unit_id"] == u) & (h["year"] < doc.rubric.year)].sort_values("year") if len(h) else h
    if h.empty:
        return None
    row = doc.totals.loc[u]
    years = [int(y) for y in h["year"]] + [doc.rubric.year]
    totals = h["total"].tolist() + [row["total"]]
    ranks, rows = [], []
    for _, r in h.iterrows():
        rank = "" if is_missing(r["rank"]) else f"第{int(r['rank'])}名"
        of = "" if is_missing(r["group_size"]) else f"/{int(r['group_size'])}"
        ranks.append(rank)
        rows.append([f"{int(r['year'])}年", num(r["total"]), (rank + of) or DASH,
                     r["grade"] if isinstance(r["grade"], str) and r["grade"] else DASH,
                     "是" if r["advanced"] else "否"])
    ranks.append(f"第{int(row['rank'])}名")
    rows.append([f"{doc.rubric.year}年", num(row["total"]),
                 f"第{int(row['rank'])}名/{int(row['group_size'])}",
                 (row["grade"] if doc.has("grade") and isinstance(row["grade"], str) else "")
                 or DASH,
                 "是" if doc.has("advanced") and row["advanced"] else "否"])
    cols = [Column("年度"), Column("总分", True), Column("名次"), Column("等次"), Column("先进")]
    ry = doc.data.rubric_years
    note = ""
    if len(ry):  # which years were scored by a rubric changed from the year before
        by_year = {int(r["year"]): (bool(r["changed"]), int(r["n_changes"]))
                   for _, r in ry.iterrows()}
        for y, cells in zip(years, rows, strict=True):
            changed, n = by_year.get(y, (None, 0))
            if changed:
                cells[0] += "*"
            cells.append(DASH if changed is None else f"有变化（{n}处）" if changed else "无变化")
        cols.append(Column("评分细则", nowrap=True))
        if any(c for c, _ in by_year.values()):
            note = tag("p", "注：年度后标“*”的，该年度评分细则与上一年度相比有变化（指标、分值、权重、"
                            "评分规则及其参数或结果规则有修改，不计年度、标题、说明等文字修改），"
                            "其总分和名次与上一年度不完全可比。")
    caption = "历年总分与名次"
    parts = [doc.heading("历年情况"), table(cols, rows, doc.caption("历年考核结果")).html, note,
             doc.figure(charts.trend(years, totals, ranks, caption), caption)]
    return Fragment("".join(parts), "历年情况")


def inputs_appendix(doc: Doc) -> Fragment | None:
    """附表 本单位原始数据: every input row of this unit, numbered, so each 数据来源 on the
    page (原始数据第N条) resolves on the page: who reported it, the item, the value, the note."""
    a = doc.appendix()
    if a.empty:
        return None
    rows = [[str(r["no"]), r["table"], doc.name(r["indicator_id"]) if r["indicator_id"] else DASH,
             r["source"] or DASH, doc.item_name(r["indicator_id"], r["item"]) or DASH,
             DASH if is_missing(r["value"]) or r["value"] == "" else fmt(float(r["value"])),
             doc.words(r["note"]) or DASH] for _, r in a.iterrows()]
    parts = [tag("h2", "附表　本单位原始数据"),
             tag("p", f"本单位参与计分的原始数据共{len(a)}条，按报送的数据表列示；正文“数据来源”中的"
                      "“原始数据第N条”即本表序号。"),
             table([Column("序号", True), Column("数据表", nowrap=True), Column("指标"),
                    Column("报送部门"), Column("项目"), Column("数值", True), Column("说明")],
                   rows, doc.caption("本单位原始数据"), cls="grid appendix").html]
    return Fragment(tag("section", cls="appendix", raw="".join(parts)), "本单位原始数据")

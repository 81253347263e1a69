"""What the report notebooks show: the bulletin (通报) and a unit's feedback (反馈).

Notebooks stay thin: a parameters cell, ``load`` and one call per section. Every function
here takes a ``Doc`` (the scheme-year's tables plus the running numbers of its sections,
figures and tables) and returns a ``Fragment`` of escaped HTML, so the logic is tested
here, not in notebooks. Numbers are printed with two decimals; texts from params and data
are escaped (``kaohe.report.html``); charts are SVG in the CJK font the project ships.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .reconcile import Reconciliation, reconcile
from .report import charts
from .report.data import ReportData
from .report.data import load as _load
from .report.html import (
    DASH,
    Cell,
    Column,
    Fragment,
    cn_number,
    esc,
    exact,
    is_missing,
    join,
    key_values,
    num,
    paragraph,
    pct,
    signed,
    table,
    tag,
)
from .report.plan import bulletin_title, internal_title, page_name
from .report.views import unit_view
from .rules.base import fmt
from .rules.events import EFFECT_ZH
from .rules.selfcheck import SelfAssessment

EPS = 1e-9
# the items every rule that compares a value with its target reads
ITEM_WORDS = {"target": "目标值", "actual": "完成值", "count": "数量", "quality": "质量"}
# ids printed by rules: "改革事项t22“名称”", "A02“名称”" (the name follows: drop the id),
# "指标P自评" (name it)
_ID_BEFORE_NAME = re.compile(r"(^|[^A-Za-z0-9_])[A-Za-z][A-Za-z0-9_.-]*(?=“)")
_ID_AFTER_WORD = re.compile(r"(指标)([A-Za-z][A-Za-z0-9_.-]*)")
HEATMAP_NUMBERS = 400  # cells a bulletin's heatmaps print numbers in, at most
SAMPLE_NOTE = "示例数据：本报告由示例数据生成，不是真实考核结果，仅供演示和检验。"

__all__ = ["Doc", "load", "bulletin", "feedback"]


def load(params: str | Path, scores_dir: str | Path | None = None) -> ReportData:
    """The scheme-year's score tables (see ``kaohe.report.data.load``)."""
    return _load(params, scores_dir)


@dataclass
class Doc:
    """One document being written: its data and the running numbers of its parts."""

    data: ReportData
    unit_id: str | None = None
    sections: int = 0
    figures: int = 0
    tables: int = 0
    _cache: dict = field(default_factory=dict, repr=False)
    _glyphs: set = field(default_factory=set, repr=False)  # glyph outlines already on the page

    def __repr__(self) -> str:  # never dump tables into a report
        return "<考核报告>"

    def heading(self, text: str) -> str:
        self.sections += 1
        return tag("h2", f"{cn_number(self.sections)}、{text}")

    def caption(self, text: str) -> str:
        self.tables += 1
        return f"表{self.tables}　{text}"

    def figure(self, svg: str, caption: str) -> str:
        self.figures += 1
        cap = esc(f"图{self.figures}　{caption}")
        svg = charts.share_glyphs(svg, self._glyphs)
        svg = charts.scope_ids(svg, f"f{self.figures}-", keep=self._glyphs)
        return f'<figure class="chart">{svg}<figcaption>{cap}</figcaption></figure>'

    # -- shared lookups ---------------------------------------------------------------
    @property
    def rubric(self):
        return self.data.rubric

    @property
    def totals(self) -> pd.DataFrame:
        """Totals indexed by unit, with each unit's ranking group label."""
        if "totals" not in self._cache:
            t = self.data.totals.set_index("unit_id", drop=False)
            t["group"] = self.data.group_labels().reindex(t.index)
            self._cache["totals"] = t
        return self._cache["totals"]

    def groups(self) -> list[str]:
        """Ranking groups in the order their first unit appears."""
        return list(dict.fromkeys(self.totals["group"]))

    def name(self, node_id: str) -> str:
        try:
            return self.rubric.node(node_id).name
        except KeyError:
            return node_id

    def tiers(self, kind: str | None = None) -> list[str]:
        """Grade names, best first, of the grade spec that covers ``kind``."""
        for g in self.rubric.results.grades:
            if kind is None or not g.kinds or kind in g.kinds:
                return [t.name for t in g.tiers]
        return []

    def top_nodes(self) -> pd.DataFrame:
        """First-level earned and max per unit (rows) and indicator (columns)."""
        if "top" not in self._cache:
            n = self.data.nodes
            n = n[n["node_id"].isin(self.data.top_ids)]
            earned = n.pivot(index="unit_id", columns="node_id", values="earned")
            maxed = n.pivot(index="unit_id", columns="node_id", values="max")
            cols = [c for c in self.data.top_ids if c in earned.columns]
            idx = self.totals.index
            self._cache["top"] = (earned.reindex(index=idx, columns=cols),
                                  maxed.reindex(index=idx, columns=cols))
        return self._cache["top"]

    def shares(self) -> pd.DataFrame:
        """Share of the first-level points earned; NaN where the indicator does not apply."""
        earned, maxed = self.top_nodes()
        return earned / maxed.where(maxed > EPS)

    def reconciliation(self, unit_id: str | None = None) -> Reconciliation:
        """得分核对 of a unit (this report's unit by default), from the score tables."""
        u = unit_id or self.unit_id
        key = ("rec", u)
        if key not in self._cache:
            if "nodes_by_unit" not in self._cache:
                self._cache["nodes_by_unit"] = dict(tuple(self.data.nodes.groupby("unit_id")))
            self._cache[key] = reconcile(self.rubric, self.totals.loc[u],
                                         self._cache["nodes_by_unit"][u])
        return self._cache[key]

    def label(self, node_id: str) -> str:
        """An indicator with its first-level indicator: '基础设施 › 道路硬化'."""
        if "tops" not in self._cache:
            tops = {}
            for top in self.rubric.indicators:
                stack = [top]
                while stack:
                    n = stack.pop()
                    tops[n.id] = top.name
                    stack.extend(n.children)
            self._cache["tops"] = tops
        name = self.name(node_id)
        top = self._cache["tops"].get(node_id)
        return f"{top} › {name}" if top and top != name else name

    def unit_href(self, unit_id: str) -> str:
        """The relative link from the bulletin to a unit's report (the layout of a build)."""
        return f"units/{page_name(unit_id)}.html"

    def appendix(self) -> pd.DataFrame:
        """This unit's input rows (本单位原始数据), numbered in the order the appendix lists them."""
        if "appendix" not in self._cache:
            rows = self.data.unit_rows
            if rows.empty or self.unit_id is None:
                rows = pd.DataFrame(columns=["ref", "table", "indicator_id", "source", "item",
                                             "value", "note"])
            else:
                rows = rows[rows["unit_id"] == self.unit_id].reset_index(drop=True)
            self._cache["appendix"] = rows.assign(no=range(1, len(rows) + 1))
        return self._cache["appendix"]

    def ref(self, refs: object) -> str:
        """Data rows as a unit reads them: 'observations.csv:301' → '原始数据第12条' (the
        numbered row of this report's appendix). The bulletin has no appendix: there the
        rows are in each unit's report."""
        if is_missing(refs) or not str(refs):
            return ""
        if self.unit_id is None:
            return "见该单位反馈报告附表"
        if "refno" not in self._cache:
            a = self.appendix()
            self._cache["refno"] = dict(zip(a["ref"], a["no"], strict=True))
        nos = self._cache["refno"]
        found = []
        for part in re.split(r"[；;]", str(refs)):
            file, _, lines = part.strip().rpartition(":")  # observations.csv:12,13
            for ref in ([f"{file}:{n}" for n in lines.split(",")] if file else [part]):
                if ref in nos:
                    found.append(str(nos[ref]))
        return f"原始数据第{'、'.join(sorted(set(found), key=int))}条" if found else ""

    def item_name(self, indicator_id: str, item: object) -> str:
        """An observation's item as the rubric names it: a checklist requirement or a kind
        of deduction by its name (the rule's ``{id, name}`` entries), a target or an actual
        value in words; an item the rubric does not name is left as reported."""
        if is_missing(item) or not str(item):
            return ""
        key = ("items", indicator_id)
        if key not in self._cache:
            names = dict(ITEM_WORDS)
            try:
                node = self.rubric.node(indicator_id)
                found = node.rule.model_dump() if node.rule else {}
            except (KeyError, AttributeError):
                found = {}
            stack = [found]
            while stack:
                x = stack.pop()
                if isinstance(x, dict):
                    if isinstance(x.get("id"), str) and isinstance(x.get("name"), str):
                        names[x["id"]] = x["name"]
                    for k, v in x.items():  # {warning_talk: {name: …}}, {poor_reporting: 因…}
                        if isinstance(v, dict) and isinstance(v.get("name"), str):
                            names.setdefault(k, v["name"])
                        elif isinstance(v, str) and re.fullmatch(r"[a-z][a-z0-9_]*", k) \
                                and not v.isascii():
                            names.setdefault(k, v)
                    stack.extend(x.values())
                elif isinstance(x, list):
                    stack.extend(x)
            self._cache[key] = names
        return self._cache[key].get(str(item), str(item))

    def words(self, text: object) -> str:
        """A reason as it goes out: indicator and item ids that rules print ("指标P自评",
        "改革事项t22“…”") become the indicator's name, or go where the name follows."""
        if is_missing(text):
            return ""
        text = str(text)
        if "ids" not in self._cache:
            self._cache["ids"] = {n.id: n.name for n, _, _ in self.rubric.walk()} | {
                a.id: a.name for a in self.rubric.adjustments}
        ids = self._cache["ids"]
        text = _ID_BEFORE_NAME.sub(r"\1", text)
        return _ID_AFTER_WORD.sub(
            lambda m: f"{m.group(1)}“{ids[m.group(2)]}”" if m.group(2) in ids else m.group(0), text)

    def sample_banner(self) -> str:
        return tag("div", SAMPLE_NOTE, "sample-banner") if self.data.sample else ""

    def has(self, column: str) -> bool:
        return column in self.totals.columns


# ======================================================================================
# shared parts
# ======================================================================================

def masthead(doc: Doc, title: str, subtitle: str = "") -> Fragment:
    """Sample banner, the issuing office in red, the title, an optional subtitle."""
    r = doc.rubric
    parts = [doc.sample_banner()]
    if r.authority:
        parts.append(tag("div", r.authority, "masthead"))
    parts.append(tag("h1", title, "title"))
    if subtitle:
        parts.append(tag("p", subtitle, "subtitle"))
    return Fragment("".join(parts), "标题")


def provenance_line(doc: Doc) -> Fragment:
    """One line a reviewer can quote: the program's version and a short digest of the
    inputs (this unit's rows in a unit report, the rubric and every data file in the
    bulletin). The full record is on the internal page."""
    p = doc.data.provenance
    h = hashlib.sha256(str(p.get("rubric_sha256", "")).encode())
    if doc.unit_id is not None and len(doc.data.unit_inputs):
        mine = doc.data.unit_inputs
        for digest in sorted(mine.loc[mine["unit_id"] == doc.unit_id, "sha256"].astype(str)):
            h.update(digest.encode())
    else:
        for _, digest in sorted((p.get("data_sha256") or {}).items()):
            h.update(str(digest).encode())
    version = p.get("kaohe_version", "")
    commit = str(p.get("commit", ""))[:8]
    text = (f"生成程序 kaohe {version}" + (f"（{commit}）" if commit else "")
            + f"；评分细则和{'本单位' if doc.unit_id is not None else '全部'}数据摘要 {h.hexdigest()[:16]}"
            + ("；示例数据" if doc.data.sample else ""))
    return Fragment(tag("p", text, "provenance-line"), "数据来源")


def provenance(doc: Doc) -> Fragment:
    """Where this report came from: scheme, year, rubric and data hashes, version, commit
    (the internal page: paths and hashes are for the office, not for units)."""
    p = doc.data.provenance
    r = doc.rubric
    period = f"{r.year}年度" + (f"（{r.period}）" if r.period else "")
    pairs = [
        ("考核方案", f"{r.title}（{p.get('scheme', r.scheme)}）"),
        ("年度", period),
        ("评分细则", p.get("rubric", "")),
        ("评分细则 SHA-256", p.get("rubric_sha256", "")),
        ("数据目录", p.get("data", "")),
    ]
    for file, digest in sorted((p.get("data_sha256") or {}).items()):
        pairs.append((f"数据 {file} SHA-256", digest))
    if doc.unit_id is not None:  # a unit report: its own input rows, not the whole files
        mine = doc.data.unit_inputs
        for _, r in mine[mine["unit_id"] == doc.unit_id].iterrows() if len(mine) else []:
            pairs.append((f"本单位数据 {r['file']}", f"{int(r['rows'])}行，摘要 {r['sha256']}"))
        pairs.append(("全部数据文件 SHA-256", "见本年度结果通报和 data/provenance.json"))
    hist = p.get("history") or {}
    if hist.get("source") == "computed":
        years = "、".join(str(x.get("year")) for x in hist.get("runs", []))
        pairs.append(("往年结果", f"按{years}年度评分细则和数据计算"))
        pairs += _run_hashes("往年", hist.get("runs", []))
    elif hist.get("source") not in (None, "none"):
        pairs.append(("往年结果", str(hist.get("source"))))
    pairs += _run_hashes("分期", p.get("periods") or [])
    pairs += [
        ("数据性质", "示例数据（非真实考核数据）" if doc.data.sample else "考核数据"),
        ("kaohe 版本", p.get("kaohe_version", "")),
        ("代码提交", p.get("commit", "")),
    ]
    return Fragment(tag("section", cls="provenance", raw=tag("h2", "数据来源与可复现信息")
                        + key_values(pairs, "kv").html), "数据来源")


def _run_hashes(what: str, runs: list[dict]) -> list[tuple[str, str]]:
    """Rubric and data hashes of the other runs a result was built from (periods, years)."""
    out = []
    for run in runs:
        name = Path(str(run.get("rubric", ""))).stem or str(run.get("year", ""))
        out.append((f"{what} {name} 评分细则 SHA-256", str(run.get("rubric_sha256", ""))))
        data = run.get("data_sha256") or {}
        out.append((f"{what} {name} 数据 SHA-256",
                    "；".join(f"{f} {h}" for f, h in sorted(data.items()))))
    return out


def _flag_names(doc: Doc, u: str) -> list[str]:
    """The remarks of a unit in ranking tables: advanced, warning, veto, multi-year flags."""
    t = doc.totals
    out = []
    if doc.has("advanced") and t.at[u, "advanced"]:
        out.append(_advanced_name(doc, t.at[u, "kind"]))
    if doc.has("warning") and t.at[u, "warning"]:
        out.append(_warning_name(doc, t.at[u, "kind"]))
    if t.at[u, "vetoed"]:
        out.append("一票否决")
    elif t.at[u, "barred"]:
        out.append("不得评先")
    for hf in doc.rubric.results.history_flags:
        if doc.has(hf.id) and t.at[u, hf.id]:
            out.append(hf.name)
    return out


def _specs_for(specs, kind: str):
    return [s for s in specs if not s.kinds or kind in s.kinds]


def _advanced_name(doc: Doc, kind: str | None = None) -> str:
    """The name of the advanced list a unit of ``kind`` is on (all names for None)."""
    specs = doc.rubric.results.advanced
    specs = specs if kind is None else _specs_for(specs, kind)
    return "、".join(dict.fromkeys(s.name for s in specs)) or "先进"


def _warning_name(doc: Doc, kind: str | None = None) -> str:
    specs = doc.rubric.results.warning
    specs = specs if kind is None else _specs_for(specs, kind)
    return "、".join(dict.fromkeys(s.name for s in specs)) or "警示"


def _group_title(doc: Doc, group: str) -> str:
    members = doc.totals[doc.totals["group"] == group]
    return f"{group}（{len(members)}个）" if group else f"全部单位（{len(members)}个）"


# ======================================================================================
# the bulletin (通报)
# ======================================================================================

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


def _self_check_tolerance(doc: Doc) -> tuple[float, bool] | None:
    """The rubric's allowed deviation of self-assessed from verified points (and whether
    only over-claiming counts), from its self-assessment adjustment; None when it has none."""
    for adj in doc.rubric.adjustments:
        if isinstance(adj.rule, SelfAssessment):  # the rule object holds its parameters
            return float(adj.rule.tolerance), bool(adj.rule.over_only)
    return None


def self_check_gaps(doc: Doc) -> Fragment | None:
    """自评与核定差异 (internal page): the indicators whose self-assessed points differ from
    the verified ones beyond the rubric's tolerance; none when the rubric sets none (a gap
    is then no finding). None without self-assessment."""
    s = doc.data.self_check
    if s.empty:
        return None
    s = s[s["self_points"].notna() & s["verified_points"].notna()]
    if s.empty:
        return None
    title = "自评与核定差异"
    parts = [doc.heading(title)]
    tol = _self_check_tolerance(doc)
    if tol is None:
        parts.append(tag("p", f"{s['unit_id'].nunique()}个单位提交了自评。评分细则未规定自评与核定的"
                              "允许偏差，差额不作为考核结果，不列示。"))
        return Fragment("".join(parts), title)
    limit, over_only = tol
    gap = s["gap"] if over_only else s["gap"].abs()
    off = s[gap > limit + EPS]
    if off.empty:
        parts.append(tag("p", f"{s['unit_id'].nunique()}个单位提交了自评，各项自评分与核定分的差额"
                              f"均未超过允许偏差{fmt(limit)}分。"))
        return Fragment("".join(parts), title)
    order = {u: i for i, u in enumerate(doc.totals.index)}
    off = off.assign(_o=off["unit_id"].map(order).fillna(len(order))) \
        .sort_values("_o", kind="stable")
    names = doc.totals["name"]
    rows = [[names.get(r["unit_id"], r["unit_id"]), doc.name(r["indicator_id"]),
             num(r["self_points"]), num(r["verified_points"]), signed(r["gap"]),
             r["ref"] if "ref" in off else ""] for _, r in off.iterrows()]
    parts.append(tag("p", f"{s['unit_id'].nunique()}个单位提交了自评，其中{off['unit_id'].nunique()}个单位"
                          f"共{len(off)}项指标的自评分高出核定分超过允许偏差{fmt(limit)}分，列示如下"
                          "（差额＝自评−核定，单位：分）。"))
    parts.append(table([Column("单位", nowrap=True), Column("指标"), Column("自评", True),
                        Column("核定", True), Column("差额", True), Column("数据来源", nowrap=True)],
                       rows, doc.caption(title)).html)
    return Fragment("".join(parts), title)


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


def rubric_changes(doc: Doc) -> Fragment | None:
    """评分细则变化: the differences from the previous year's rubric (``kaohe.diff``), so a
    reader comparing with last year knows which scores were made by different rules. Only
    when that rubric exists beside this one (``rubric_changes.csv`` in the scores)."""
    c = doc.data.rubric_changes
    if c.empty:
        return None
    prev = str(c["previous"].iloc[0])
    prev = f"{prev}年" if prev.isdigit() else prev  # 2019年, or a period: 2021-Q1
    c = c[c["text"] != ""]
    parts = [doc.heading("评分细则变化")]
    if c.empty:
        parts.append(tag("p", f"本年度评分细则与{prev}评分细则相比没有变化。"))
    else:
        parts.append(tag("p", f"与{prev}评分细则相比，本年度评分细则共有{len(c)}处变化"
                              "（按评分细则文件逐项比较得出），列示如下。"))
        # the sentence in words (no ids or parameter keys) where the scores carry it
        text = "words" if "words" in c.columns else "text"
        rows = [[str(i), r["section"], r[text]] for i, r in enumerate(c.to_dict("records"), 1)]
        parts.append(table([Column("序号", True), Column("类别", nowrap=True), Column("变化")],
                           rows, doc.caption(f"与{prev}评分细则相比的变化")).html)
    return Fragment("".join(parts), "评分细则变化")


def _robustness_method() -> str:
    """The analysis in words, with the defaults ``kaohe build`` ran it with."""
    import inspect

    from .robustness import rank_robustness

    p = inspect.signature(rank_robustness).parameters
    return (f"在各一级指标权重各自上下浮动{fmt(p['spread'].default * 100)}%（按满分重新归一）、"
            "名额取整方式（四舍五入、向下取整、向上取整）和并列跨线处理（同评较高或较低等次）"
            f"随机选取的{p['draws'].default}次模拟中（固定随机种子，结果可重现）")


def _tier_columns(rob: pd.DataFrame) -> list[str]:
    return [c for c in rob.columns if c.startswith("p_") and c not in ("p_grade", "p_advanced")]


def robustness(doc: Doc) -> Fragment | None:
    """名次稳健性. In the bulletin: the units whose grade or advanced status could change
    under other defensible weights and quota choices, with their rank interval and grade
    probabilities; in a unit's report: that unit's line. None without ``robustness.csv``."""
    rob = doc.data.robustness
    if rob.empty:
        return None
    rob = rob.set_index("unit_id", drop=False)
    tiers = _tier_columns(rob)
    has_adv = "p_advanced" in rob.columns
    if doc.unit_id is not None:
        if doc.unit_id not in rob.index:
            return None
        r = rob.loc[doc.unit_id]
        bits = [f"名次在第{int(r['rank_min'])}至第{int(r['rank_max'])}名之间"
                f"（90%的模拟在第{int(r['rank_p5'])}至第{int(r['rank_p95'])}名之间）"]
        probs = [f"{c[2:]}{num(r[c])}" for c in tiers if not is_missing(r[c])]
        if probs:
            bits.append("评为各等次的概率：" + "、".join(probs))
        if has_adv:
            bits.append(f"列入{_advanced_name(doc, r['kind'])}的概率{num(r['p_advanced'])}")
        text = (f"{_robustness_method()}，本单位（本次第{int(r['rank'])}名）"
                + "；".join(bits) + "。")
        return Fragment(doc.heading("名次稳健性") + tag("p", text), "名次稳健性")
    could = pd.Series(False, index=rob.index)
    if "grade_could_change" in rob.columns:
        could |= rob["grade_could_change"]
    if has_adv:
        could |= rob["advanced_could_change"]
    parts = [doc.heading("名次稳健性")]
    what = "等次" + ("或" + _advanced_name(doc) + "结果" if has_adv else "")
    if not could.any():
        parts.append(tag("p", f"{_robustness_method()}，所有单位的{what}均不变。"))
        return Fragment("".join(parts), "名次稳健性")
    shown = rob[could]
    shown = shown.assign(group=doc.totals["group"].reindex(shown.index))
    shown = shown.sort_values(["group", "rank"], kind="mergesort")
    parts.append(tag("p", f"{_robustness_method()}，以下{len(shown)}个单位的{what}可能改变"
                          "（概率保留两位小数）。"))
    cols = [Column("单位", nowrap=True), Column("名次", True), Column("名次区间", nowrap=True)]
    cols += [Column(f"{c[2:]}概率", True) for c in tiers]
    if has_adv:
        cols.append(Column(f"{_advanced_name(doc)}概率", True))
    rows = []
    for _, r in shown.iterrows():
        row = [r["name"], str(int(r["rank"])), f"{int(r['rank_min'])}–{int(r['rank_max'])}"]
        row += [num(r[c]) for c in tiers]
        if has_adv:
            row.append(num(r["p_advanced"]))
        rows.append(row)
    parts.append(table(cols, rows, doc.caption("等次或评先结果可能改变的单位")).html)
    return Fragment("".join(parts), "名次稳健性")


# ======================================================================================
# a unit's feedback report (反馈)
# ======================================================================================

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


# ======================================================================================
# the office's internal page (考核办内部分析, 内部资料)
# ======================================================================================

def internal(data: ReportData) -> Doc:
    """Start the internal page of a scheme-year: analysis for the office, never for units."""
    return Doc(data)


def internal_header(doc: Doc) -> Fragment:
    head = masthead(doc, internal_title(doc.rubric.title), "内部资料　不得对外印发")
    note = tag("p", "本页供考核办内部研判使用：名次稳健性、自评与核定差异、评分细则变化和完整的"
                    "数据来源记录不随通报印发，也不发给被考核单位。")
    return Fragment(tag("div", "内部资料", "internal-mark") + head.html + note, head.what)


# ======================================================================================
# whole documents, for callers that want one call
# ======================================================================================

# Each document's sections, in order: the notebooks call exactly these, one per cell
# (tests/test_reports.py checks), and the one-call documents below follow the same lists.
BULLETIN_SECTIONS = ("bulletin_header", "overview", "honours", "warnings_list", "history_flags",
                     "vetoes", "common_losses", "rankings", "conversion", "heatmaps", "change",
                     "provenance_line")
FEEDBACK_SECTIONS = ("feedback_header", "result", "reconciliation", "losses", "full_marks",
                     "indicators", "adjustments", "self_check", "trend", "inputs_appendix", "provenance_line")
INTERNAL_SECTIONS = ("internal_header", "robustness", "self_check_gaps", "rubric_changes",
                     "provenance")


def _document(doc: Doc, sections: tuple[str, ...], what: str) -> Fragment:
    return join([globals()[name](doc) for name in sections], what)


def bulletin_document(data: ReportData) -> Fragment:
    return _document(bulletin(data), BULLETIN_SECTIONS, "考核结果通报")


def feedback_document(data: ReportData, unit_id: str | None = None) -> Fragment:
    return _document(feedback(data, unit_id), FEEDBACK_SECTIONS, "考核结果反馈")


def internal_document(data: ReportData) -> Fragment:
    return _document(internal(data), INTERNAL_SECTIONS, "考核办内部分析")


__all__ += ["masthead", "provenance", "provenance_line", "common_losses", "inputs_appendix",
            "internal", "internal_header", "internal_document", "BULLETIN_SECTIONS",
            "FEEDBACK_SECTIONS", "INTERNAL_SECTIONS", "bulletin_header", "overview", "grade_distribution",
            "ranking_table", "ranking_chart", "rankings", "honours", "history_flags",
            "warnings_list", "vetoes", "self_check_gaps",
            "conversion", "heatmaps", "change", "rubric_changes", "robustness",
            "feedback_header", "result", "reconciliation", "indicators",
            "lost_points", "losses", "full_marks", "adjustments", "self_check", "trend", "bulletin_document",
            "feedback_document"]

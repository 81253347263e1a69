"""What every report page shares: ``Doc`` (a scheme-year's tables plus the running numbers
of its sections, figures and tables), the masthead, the provenance line and block, and the
helpers the bulletin, the feedback and the internal page use alike."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ...reconcile import Reconciliation, reconcile
from .. import charts
from ..data import ReportData
from ..data import load as _load
from ..html import (
    Fragment,
    cn_number,
    esc,
    is_missing,
    key_values,
    tag,
)
from ..plan import page_name

EPS = 1e-9


# the items every rule that compares a value with its target reads
ITEM_WORDS = {"target": "目标值", "actual": "完成值", "count": "数量", "quality": "质量"}


# ids printed by rules: "改革事项t22“名称”", "A02“名称”" (the name follows: drop the id),
# "指标P自评" (name it)
_ID_BEFORE_NAME = re.compile(r"(^|[^A-Za-z0-9_])[A-Za-z][A-Za-z0-9_.-]*(?=“)")


_ID_AFTER_WORD = re.compile(r"(指标)([A-Za-z][A-Za-z0-9_.-]*)")


HEATMAP_NUMBERS = 400  # cells a bulletin's heatmaps print numbers in, at most


SAMPLE_NOTE = "示例数据：本报告由示例数据生成，不是真实考核结果，仅供演示和检验。"


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

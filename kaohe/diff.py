"""What changed between two rubrics (评分细则), as structured records with Chinese sentences.

Indicators are matched by id, not by position, so an inserted item does not make every later
item look "changed". Rule parameters and result rules are compared after validation (defaults
filled in), so writing a default value explicitly is not reported as a change. The records
are plain data: the terminal prints them (``kaohe diff``), a bulletin can group them by
``kind`` or ``section``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .rubric import Node, Rubric, load_rubric
from .rules import REGISTRY
from .rules.base import fmt

NODE_FIELDS_ZH = {
    "name": "名称",
    "content": "考核内容",
    "standard": "评分标准",
    "department": "责任单位",
    "method": "考核方式",
    "applies_to": "适用范围",
    "aggregate": "汇总方式",
    "missing": "缺项处理",
    "ours": "项目取值说明（ours）",
}
META_ZH = {
    "scheme": "方案编号",
    "year": "年度",
    "period": "考核期",
    "title": "标题",
    "authority": "考核机关",
    "document": "文件",
    "full_score": "满分",
    "groups": "分组列（groups）",
    "order": "计分顺序（order）",
    "notes": "说明（notes）",
}
SPEC_FIELDS_ZH = {
    "method": "方法",
    "rounding": "人数取整方式",
    "ties": "分数并列跨线时的处理",
    "within": "分组",
    "kinds": "适用单位类别",
    "top_n": "名额",
    "top_share": "比例",
    "min_total": "最低分数",
    "name": "名称",
    "below": "分数线",
    "bottom_share": "末位比例",
    "vetoed_last": "被否决单位排在最后",
    "decimals": "排名所用小数位数",
    "above": "起算分数",
    "rate": "每分折算",
    "cap": "上限",
    "years": "连续年数",
    "when": "条件",
    "share": "比例",
    "grade_in": "所取等次",
    "ours": "项目取值说明（ours）",
}
VALUE_ZH = {
    "half_up": "四舍五入",
    "floor": "向下取整",
    "ceil": "向上取整",
    "higher": "同评较高等次",
    "lower": "同评较低等次",
    "quota": "按比例",
    "thresholds": "按分数线",
    "sum": "求和",
    "weighted": "加权",
    "shrink": "缺项不计、按适用满分折算",
    "share": "按比例折算",
    "min": "并列同名次（1、2、2、4）",
    "dense": "并列同名次且不跳号（1、2、2、3）",
    "last_in_group": "排名末位",
    "bottom_share": "排名靠后",
    "advanced": "评为先进",
}
RESULT_ZH = {"grades": "等次", "advanced": "先进", "warning": "警示", "conversion": "超分折算",
             "history_flags": "多年条件"}
SHARE_KEYS = {"share", "top_share", "bottom_share"}

SECTIONS = {
    "meta": "基本信息", "unit_kinds": "基本信息",
    "added": "指标", "removed": "指标", "moved": "指标", "reordered": "指标",
    "points": "指标", "weight": "指标", "rule": "指标", "rule_param": "指标", "indicator": "指标",
    "ranking": "结果规则", "grades": "结果规则", "advanced": "结果规则", "warning": "结果规则",
    "conversion": "结果规则", "history_flags": "结果规则",
}


@dataclass(frozen=True)
class Change:
    """One difference: ``kind`` (see ``SECTIONS``), a key path by ids, old and new values
    (None when absent), and the sentence a reader sees."""

    kind: str
    path: str
    old: Any
    new: Any
    text: str

    @property
    def section(self) -> str:
        return SECTIONS[self.kind]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"section": self.section}


# -- values in words ------------------------------------------------------------------


def show(value: Any, key: str = "") -> str:
    """A value as a sentence writes it: numbers without noise, shares in percent."""
    if value is None:
        return "（无）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        return f"{fmt(value * 100)}%" if key in SHARE_KEYS else fmt(value)
    if isinstance(value, str):
        return VALUE_ZH.get(value, value) if value else "（空）"
    if isinstance(value, list):
        return "、".join(show(v, key) for v in value) if value else "（空）"
    if isinstance(value, dict):
        return "；".join(f"{k}: {show(v, k)}" for k, v in value.items()) if value else "（空）"
    return str(value)


def _quoted(value: Any, key: str = "") -> str:
    """Free text in quotation marks, so a sentence can say where it begins and ends."""
    s = show(value, key)
    return f"“{s}”" if isinstance(value, str) and value and value not in VALUE_ZH else s


def _from_to(old: Any, new: Any, key: str = "", unit: str = "") -> str:
    if old is None:
        return f"新设为{_quoted(new, key)}{unit}"
    if new is None:
        return f"删除（原为{_quoted(old, key)}{unit}）"
    if isinstance(old, list) and isinstance(new, list):
        more = [x for x in new if x not in old]
        less = [x for x in old if x not in new]
        kept = [x for x in old if x in new]
        if kept and (more or less) and sorted(map(str, old)) != sorted(map(str, new)):
            parts = ([f"增加{show(more, key)}"] if more else []) + (
                [f"去掉{show(less, key)}"] if less else [])
            return f"由“{show(old, key)}”改为“{show(new, key)}”（{'，'.join(parts)}）"
    return f"由{_quoted(old, key)}{unit}改为{_quoted(new, key)}{unit}"


def _deep(old: Any, new: Any, path: str) -> list[tuple[str, Any, Any]]:
    """Leaf-level differences of two plain structures, with dotted key paths."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for k in list(old) + [k for k in new if k not in old]:
            out += _deep(old.get(k), new.get(k), f"{path}.{k}" if path else str(k))
        return out
    if (isinstance(old, list) and isinstance(new, list) and len(old) == len(new)
            and all(isinstance(x, dict) for x in old + new)):
        out = []
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            out += _deep(a, b, f"{path}[{i}]")
        return out
    if _same(old, new):
        return []
    return [(path, old, new)]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return abs(float(a) - float(b)) <= 1e-9
    return a == b


# -- indicators ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Place:
    node: Node
    parent: str  # parent id, "" for first level, "@adjustments" for adjustments
    index: int


def _places(rubric: Rubric) -> dict[str, _Place]:
    out: dict[str, _Place] = {}
    for n, p, _ in rubric.walk():
        siblings = p.children if p else rubric.indicators
        out[n.id] = _Place(n, p.id if p else "", [c.id for c in siblings].index(n.id))
    for i, a in enumerate(rubric.adjustments):
        out[a.id] = _Place(a, "@adjustments", i)
    return out


def _label(node: Node) -> str:
    return f"“{node.id} {node.name}”"


def _where(parent: str, places: dict[str, _Place]) -> str:
    if parent == "":
        return "一级指标"
    if parent == "@adjustments":
        return "加减分项"
    return f"{_label(places[parent].node)}下"


def _what(place: _Place) -> str:
    return "加减分项" if place.parent == "@adjustments" else "指标"


def _node_path(place: _Place) -> str:
    root = "adjustments" if place.parent == "@adjustments" else "indicators"
    return f"{root}[{place.node.id}]"


def _rule_params(node: Node) -> dict[str, Any]:
    """Validated parameters with defaults, so an explicit default is no change."""
    assert node.rule is not None
    return node.rule.model_dump(mode="json", exclude={"kind"})


def _rule_title(kind: str) -> str:
    return f"“{REGISTRY[kind].title}”（{kind}）" if kind in REGISTRY else f"“{kind}”"


def _count_below(node: Node) -> int:
    return sum(1 + _count_below(c) for c in node.children)


def diff_indicators(old: Rubric, new: Rubric) -> list[Change]:
    """Added, removed, moved and reordered indicators; changed points, weights, rules."""
    po, pn = _places(old), _places(new)
    out: list[Change] = []
    for nid, p in pn.items():
        if nid in po or (p.parent in pn and p.parent not in po):
            continue  # an added subtree is reported once, at its root
        n = p.node
        extra = [f"{fmt(n.max_points)}分"] if n.points is not None else []
        if n.weight is not None:
            extra.append(f"权重{fmt(n.weight)}")
        if n.rule is not None:
            extra.append(f"评分规则{_rule_title(n.rule.kind)}")
        if n.children:
            extra.append(f"含{_count_below(n)}项下级指标")
        out.append(Change("added", _node_path(p), None, n.model_dump(mode="json"),
                          f"新增{_what(p)}{_label(n)}（{_where(p.parent, pn)}，{'，'.join(extra)}）"))
    for oid, p in po.items():
        if oid in pn or (p.parent in po and p.parent not in pn):
            continue  # a removed subtree is reported once, at its root
        n = p.node
        tail = f"，含{_count_below(n)}项下级指标" if n.children else ""
        out.append(Change("removed", _node_path(p), n.model_dump(mode="json"), None,
                          f"删除{_what(p)}{_label(n)}（原在{_where(p.parent, po)}，"
                          f"{fmt(n.max_points)}分{tail}）"))
    for nid, pnew in pn.items():
        if nid not in po:
            continue
        pold = po[nid]
        if pold.parent != pnew.parent:
            out.append(Change("moved", _node_path(pnew), pold.parent or None, pnew.parent or None,
                              f"{_what(pnew)}{_label(pnew.node)}由{_where(pold.parent, po)}"
                              f"移至{_where(pnew.parent, pn)}"))
        out += _node_changes(pold, pnew)
    out += _reorders(po, pn)
    return out


def _node_changes(pold: _Place, pnew: _Place) -> list[Change]:
    a, b = pold.node, pnew.node
    path = _node_path(pnew)
    name = f"{_what(pnew)}{_label(b)}"
    out: list[Change] = []
    if not _same(a.points, b.points):
        out.append(Change("points", f"{path}.points", a.points, b.points,
                          f"{name}分值{_from_to(a.points, b.points, unit='分')}"))
    if not _same(a.weight, b.weight):
        out.append(Change("weight", f"{path}.weight", a.weight, b.weight,
                          f"{name}权重{_from_to(a.weight, b.weight)}"))
    for field, zh in NODE_FIELDS_ZH.items():
        va, vb = getattr(a, field), getattr(b, field)
        va = va.model_dump(mode="json") if hasattr(va, "model_dump") else va
        vb = vb.model_dump(mode="json") if hasattr(vb, "model_dump") else vb
        if field == "applies_to":
            for sub, x, y in _deep(va or {}, vb or {}, ""):
                out.append(Change("indicator", f"{path}.applies_to.{sub}", x, y,
                                  f"{name}{zh}（{sub}）{_from_to(x, y, sub)}"))
            continue
        if not _same(va, vb):
            if field in ("content", "standard", "ours", "name") and va and vb:
                text = f"{name}{zh}由“{va}”改为“{vb}”"
            else:
                text = f"{name}{zh}{_from_to(va, vb)}"
            out.append(Change("indicator", f"{path}.{field}", va, vb, text))
    if a.rule is None or b.rule is None:
        if (a.rule is None) != (b.rule is None):
            ka = a.rule.kind if a.rule else None
            kb = b.rule.kind if b.rule else None
            out.append(Change("rule", f"{path}.rule.kind", ka, kb,
                              f"{name}" + (f"不再直接评分（原评分规则{_rule_title(ka)}），改由下级指标汇总"
                                           if ka else f"改为直接评分，评分规则{_rule_title(kb or '')}")))
        return out
    if a.rule.kind != b.rule.kind:
        out.append(Change("rule", f"{path}.rule", {"kind": a.rule.kind, **_rule_params(a)},
                          {"kind": b.rule.kind, **_rule_params(b)},
                          f"{name}评分规则由{_rule_title(a.rule.kind)}改为{_rule_title(b.rule.kind)}"))
        return out
    for sub, x, y in _deep(_rule_params(a), _rule_params(b), ""):
        what = "的项目取值说明（ours）" if sub == "ours" else f"参数 {sub} "
        out.append(Change("rule_param", f"{path}.rule.{sub}", x, y,
                          f"{name}评分规则{what}{_from_to(x, y, sub.rsplit('.', 1)[-1])}"))
    return out


def _reorders(po: dict[str, _Place], pn: dict[str, _Place]) -> list[Change]:
    """Siblings kept under the same parent but listed in another order."""
    out = []

    def kids(places: dict[str, _Place], parent: str) -> list[str]:
        ids = [i for i, p in places.items() if p.parent == parent]
        return sorted(ids, key=lambda i: places[i].index)

    parents = ["", "@adjustments"] + [i for i in pn if i in po]
    for parent in parents:
        a = [i for i in kids(po, parent) if i in pn and pn[i].parent == parent]
        b = [i for i in kids(pn, parent) if i in po and po[i].parent == parent]
        if a != b:
            where = {"": "一级指标", "@adjustments": "加减分项"}.get(parent)
            where = where or f"{_label(pn[parent].node)}的下级指标"
            path = {"": "indicators", "@adjustments": "adjustments"}.get(
                parent, f"indicators[{parent}].children")
            out.append(Change("reordered", path, a, b,
                              f"{where}顺序由“{'、'.join(a)}”调整为“{'、'.join(b)}”"))
    return out


# -- rubric-level fields and result rules ------------------------------------------------


def diff_meta(old: Rubric, new: Rubric) -> list[Change]:
    out = []
    for key, zh in META_ZH.items():
        a, b = getattr(old, key), getattr(new, key)
        if _same(a, b):
            continue
        if key == "notes":
            text = f"{zh}有修改（原{len(a)}条，现{len(b)}条）"
        elif key in ("title", "authority", "document", "period") and a and b:
            text = f"{zh}由“{a}”改为“{b}”"
        else:
            text = f"{zh}{_from_to(a, b, unit='分' if key == 'full_score' else '')}"
        out.append(Change("meta", key, a, b, text))
    ko = {k.id: k.name for k in old.unit_kinds}
    kn = {k.id: k.name for k in new.unit_kinds}
    for k in kn.keys() - ko.keys():
        out.append(Change("unit_kinds", f"unit_kinds[{k}]", None, kn[k], f"新增单位类别“{kn[k]}”（{k}）"))
    for k in ko.keys() - kn.keys():
        out.append(Change("unit_kinds", f"unit_kinds[{k}]", ko[k], None, f"删除单位类别“{ko[k]}”（{k}）"))
    for k in ko.keys() & kn.keys():
        if ko[k] != kn[k]:
            out.append(Change("unit_kinds", f"unit_kinds[{k}].name", ko[k], kn[k],
                              f"单位类别 {k} 的名称由“{ko[k]}”改为“{kn[k]}”"))
    return out


def _spec_key(spec: Any, key: str) -> str:
    if key == "history_flags":
        return spec.id
    kinds = getattr(spec, "kinds", [])
    return "+".join(kinds) if kinds else "all"


def _keyed(specs: list, key: str) -> dict[str, Any]:
    keys = [_spec_key(s, key) for s in specs]
    if len(set(keys)) < len(keys):  # two specs for the same kinds: match by position
        keys = [str(i) for i in range(len(specs))]
    return dict(zip(keys, specs, strict=True))


def _as_list(specs: Any) -> list:
    """Result rules given once or as a list of specs (one per unit kinds)."""
    if specs is None:
        return []
    return list(specs) if isinstance(specs, list | tuple) else [specs]


def _whose(key: str, rubric: Rubric, many: bool) -> str:
    if key == "all":
        return "（全部单位）" if many else ""
    names = {k.id: k.name for k in rubric.unit_kinds}
    parts = key.split("+")
    if all(p in names for p in parts):
        return f"（{'、'.join(names[p] for p in parts)}）"
    return f"（第{int(key) + 1}项）" if key.isdigit() else f"（{key}）"


def diff_results(old: Rubric, new: Rubric) -> list[Change]:
    ro, rn = old.results, new.results
    out: list[Change] = []
    for sub, a, b in _deep(ro.ranking.model_dump(mode="json"), rn.ranking.model_dump(mode="json"), ""):
        zh = SPEC_FIELDS_ZH.get(sub, sub)
        if sub == "within":
            text = (f"排名分组由“{show(a) if a else '统一排名'}”改为“{show(b) if b else '统一排名'}”")
        else:
            text = f"排名{zh}{_from_to(a, b, sub)}"
        out.append(Change("ranking", f"results.ranking.{sub}", a, b, text))
    for key, zh in RESULT_ZH.items():
        so, sn = _keyed(_as_list(getattr(ro, key)), key), _keyed(_as_list(getattr(rn, key)), key)
        many = max(len(so), len(sn)) > 1
        for k, spec in sn.items():
            if k not in so:
                out.append(Change(key, f"results.{key}[{k}]", None, spec.model_dump(mode="json"),
                                  f"新增{zh}规则{_whose(k, new, many)}：{_spec_words(spec, key)}"))
        for k, spec in so.items():
            if k not in sn:
                out.append(Change(key, f"results.{key}[{k}]", spec.model_dump(mode="json"), None,
                                  f"删除{zh}规则{_whose(k, old, many)}：{_spec_words(spec, key)}"))
        for k in [k for k in sn if k in so]:
            a, b = so[k], sn[k]
            label = f"{zh}{_whose(k, new, many)}"
            if key in ("advanced", "warning"):  # named lists: 通报表扬, 黄牌警告 …
                label = f"{b.name}名单{_whose(k, new, many)}"
            if key == "history_flags":
                label = f"多年条件“{b.name}”"
            out += _spec_changes(a, b, f"results.{key}[{k}]", key, label)
    return out


def _spec_words(spec: Any, key: str) -> str:
    if key == "grades":
        tiers = "、".join(
            t.name + (f"{fmt((t.share or 0) * 100)}%" if spec.method == "quota" and t.share is not None
                      else f"{fmt(t.min)}分以上" if t.min is not None else "")
            for t in spec.tiers)
        return f"{show(spec.method)}定等次：{tiers}"
    if key == "advanced":
        if getattr(spec, "grade_in", None):
            return f"{spec.name}为评为“{'、'.join(spec.grade_in)}”的单位"
        many = f"前{spec.top_n}名" if spec.top_n is not None else f"前{fmt(spec.top_share * 100)}%"
        return f"{spec.name}为{many}"
    if key == "warning":
        return "；".join(x for x in (
            f"低于{fmt(spec.below)}分" if spec.below is not None else "",
            f"排名后{fmt(spec.bottom_share * 100)}%" if spec.bottom_share is not None else "") if x)
    if key == "conversion":
        cap = f"，最多{fmt(spec.cap)}分" if spec.cap is not None else ""
        return f"超过{fmt(spec.above)}分的部分每分折算{fmt(spec.rate)}分计入{spec.name}{cap}"
    return f"{spec.name}：连续{spec.years}年{show(spec.when)}"


def _spec_changes(a: Any, b: Any, path: str, key: str, label: str) -> list[Change]:
    out: list[Change] = []
    da, db = a.model_dump(mode="json"), b.model_dump(mode="json")
    if key == "grades":
        ta = {t["name"]: t for t in da.pop("tiers")}
        tb = {t["name"]: t for t in db.pop("tiers")}
        for name in tb.keys() - ta.keys():
            out.append(Change(key, f"{path}.tiers[{name}]", None, tb[name],
                              f"{label}新增“{name}”一档"))
        for name in ta.keys() - tb.keys():
            out.append(Change(key, f"{path}.tiers[{name}]", ta[name], None,
                              f"{label}删除“{name}”一档"))
        for name in [n for n in tb if n in ta]:
            for sub, x, y in _deep(ta[name], tb[name], ""):
                what = "比例" if sub == "share" else "分数线"
                out.append(Change(key, f"{path}.tiers[{name}].{sub}", x, y,
                                  f"{label}“{name}”的{what}{_from_to(x, y, sub, '' if sub == 'share' else '分')}"))
        common_a = [n for n in ta if n in tb]
        common_b = [n for n in tb if n in ta]
        if common_a != common_b:
            out.append(Change(key, f"{path}.tiers", common_a, common_b,
                              f"{label}的等次顺序由“{'、'.join(common_a)}”调整为“{'、'.join(common_b)}”"))
    for sub, x, y in _deep(da, db, ""):
        zh = SPEC_FIELDS_ZH.get(sub, sub)
        if sub == "within":
            text = f"{label}的分组由“{show(x) if x else '全部单位'}”改为“{show(y) if y else '全部单位'}”"
        elif sub == "top_n":
            text = f"{label}名额{_from_to(x, y, unit='个')}"
        elif sub in ("min_total", "below", "above", "cap"):
            text = f"{label}{zh}{_from_to(x, y, unit='分')}"
        else:
            text = f"{label}{zh}{_from_to(x, y, sub)}"
        out.append(Change(key, f"{path}.{sub}", x, y, text))
    return out


# -- the whole diff --------------------------------------------------------------------


def diff_rubrics(old: Rubric, new: Rubric) -> list[Change]:
    """Every difference between two rubrics: rubric-level fields, indicators and
    adjustments by id, result rules. Pure: the same two rubrics give the same list."""
    return diff_meta(old, new) + diff_indicators(old, new) + diff_results(old, new)


# Changes that only reword a rubric (its year, title, notes, an indicator's wording or the
# project's ``ours`` explanations) leave every score as it was.
WORDING_META = {"year", "title", "notes", "authority", "document", "period"}
WORDING_FIELDS = {"name", "content", "standard", "department", "method", "ours", "reason"}


def is_substantive(change: Change) -> bool:
    """Whether a change can alter scores or results (indicators, points, weights, rules and
    their parameters, result rules), not only the rubric's wording."""
    if change.kind == "meta":
        return change.path not in WORDING_META
    if change.kind in ("indicator", "rule_param"):
        return change.path.rsplit(".", 1)[-1] not in WORDING_FIELDS
    return True


def diff_files(old: Path | str, new: Path | str) -> list[Change]:
    """Load (and validate) two rubric files and diff them; raises KaoheError if invalid."""
    return diff_rubrics(load_rubric(old).rubric, load_rubric(new).rubric)


def format_changes(changes: Iterable[Change], old_label: str = "", new_label: str = "") -> str:
    """The terminal text: a heading, then the changes numbered by section."""
    changes = list(changes)
    head = f"评分细则对比：{old_label} → {new_label}" if old_label or new_label else "评分细则对比"
    if not changes:
        return f"{head}\n两份评分细则内容相同（不计注释和排版）。"
    lines = [f"{head}，共 {len(changes)} 处变化。"]
    for section in dict.fromkeys(SECTIONS.values()):
        these = [c for c in changes if c.section == section]
        if not these:
            continue
        lines.append(f"【{section}】")
        lines += [f"  {i}. {c.text}" for i, c in enumerate(these, 1)]
    return "\n".join(lines)


# -- in words for the office's internal page ---------------------------------------------

# rule parameters as a reader names them (the internal page's rubric changes print no
# parameter keys); a key not listed reads as 参数
PARAM_ZH = {
    "cost": "每次扣分", "costs": "每项扣分", "cap": "扣分上限", "credit": "每项加分",
    "points": "分值", "penalty": "扣分", "tolerance": "允许偏差", "over_only": "只计高报",
    "floor": "最低得分", "ceiling": "满分比例", "min": "最低比例", "target": "目标值",
    "scale": "满分", "first": "首项分值", "per_tier": "各档分值", "levels": "等级",
    "bands": "分档", "method": "计分方法", "direction": "计分方向", "required": "要求数量",
    "drop_worst": "去掉的最低次数", "more_than": "超过次数", "items": "要求", "kinds": "扣分事项",
    "name": "名称", "what": "考核内容", "quantity": "考核数量", "proxy": "参照单位",
    "missing": "缺报处理", "percent": "按百分数填报", "cases": "情形", "effect": "处理方式",
    "periods": "考核期", "combine": "合并方式", "per_piece": "按篇计分的等级", "unit": "计量单位",
    "cite": "列明问题", "by": "依据", "advanced_name": "先进名称",
}
_ENGLISH_KEY = re.compile(r"（[A-Za-z_][A-Za-z0-9_.\[\]]*）")


def _param_words(params: Any, sub: str) -> str:
    """A parameter path as a reader names it: ``kinds[0].cost`` → “违规使用扶贫资金”的每次扣分
    (a list item by its name where it has one, else by its position)."""
    words: list[str] = []
    cur = params
    segs = sub.split(".")
    for i, seg in enumerate(segs):
        m = re.fullmatch(r"(\w+)\[(\d+)\]", seg)
        key = m.group(1) if m else seg
        cur = cur.get(key) if isinstance(cur, dict) else None
        if m is None:
            words.append(PARAM_ZH.get(key, "参数"))
            continue
        idx = int(m.group(2))
        item = cur[idx] if isinstance(cur, list) and idx < len(cur) else None
        label = item.get("name") if isinstance(item, dict) else None
        renamed = i + 1 < len(segs) and segs[i + 1] == "name"
        words.append(f"“{label}”" if label and not renamed
                     else f"第{idx + 1}项{PARAM_ZH.get(key, '')}")
        cur = item
    return "的".join(words)


def in_words(change: Change, old: Rubric, new: Rubric) -> str:
    """A change's sentence without ids or parameter keys (the internal page's form):
    indicators by their Chinese names, parameters by what they mean."""
    text = change.text
    if change.kind == "rule_param":
        node_id = change.path.split("[", 1)[1].split("]", 1)[0]
        sub = change.path.split(".rule.", 1)[1]
        try:
            params = _rule_params(new.node(node_id))
        except KeyError:
            params = {}
        text = text.replace(f"参数 {sub} ", f"中{_param_words(params, sub)}")
    for rubric in (new, old):
        for n, _, _ in rubric.walk():
            text = text.replace(f"“{n.id} {n.name}”", f"“{n.name}”")
        for a in rubric.adjustments:
            text = text.replace(f"“{a.id} {a.name}”", f"“{a.name}”")
    return _ENGLISH_KEY.sub("", text)


__all__ = ["Change", "diff_rubrics", "diff_files", "format_changes", "in_words", "show"]

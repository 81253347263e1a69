"""Each rule in words for the people who fill in templates: what one row asks for, its
allowed values, and how the points follow (the rule's own parameters, never a guess).

Rows of a template: one per unit × leaf × item, where the items come from the rule
(``item_rows``); rules whose rows are about reform items rather than units
(``ITEM_LEVEL``) get one row per item with the unit left blank.
"""

from __future__ import annotations

from typing import Any

from ..normalize import ValueSpec, value_spec
from ..rubric import Node
from ..rules.base import fmt
from ..rules.points import COMBINE_ZH

ITEM_LEVEL = ("class_deduction",)


def is_item_level(kind: str, params: Any) -> bool:
    """Rows about reform items (unit blank): class_deduction, quota_grade over items."""
    return kind in ITEM_LEVEL or (kind == "quota_grade" and getattr(params, "over", "") == "items")


def item_rows(kind: str, params: Any) -> list[tuple[str | None, str]]:
    """(item id, item name in Chinese) of the rows one unit has for a leaf; (None, "") when
    the rule reads one value per unit (and rater)."""
    if kind == "checklist":
        return [(r.id, r.name) for r in params.items]
    if kind == "deductions":
        return [(k.id, k.name) for k in params.kinds]
    if kind == "required_count":
        rows = [(params.count_item, f"{params.what}次数")]
        if params.gate_item:
            rows.append((params.gate_item, params.gate_name.replace("不达标", "") or "质量"))
        return rows
    if kind == "attainment":
        rows = [("actual", params.quantity)]
        if params.target is None:
            rows.append(("target", "目标值"))
        return rows
    return [(None, "")]


def spec(node: Node, params: Any, item: str | None) -> ValueSpec:
    assert node.rule is not None
    return value_spec(node.rule.kind, params, node.max_points, item)


def requirement(node: Node, params: Any, item: str | None) -> str:
    """What one row asks for, with its allowed values and what each unit of it is worth."""
    assert node.rule is not None
    kind = node.rule.kind
    s = spec(node, params, item)
    if kind == "rater_points":
        if params.scale:
            return (f"填写评分（{fmt(params.scale)}分制，{s.words()}），折合本项{fmt(node.max_points)}分"
                    "：得分＝评分÷" + fmt(params.scale) + "×" + fmt(node.max_points))
        return f"填写本项得分（{s.words()}分）；扣分请在“说明”中写明理由"
    if kind == "rate_to_points":
        if params.percent:
            return f"填写{params.what}（百分数的数值，{s.words()}，如 95.5）"
        return f"填写{params.what}（0～1 的小数，如 0.955；填 95.5% 按 0.955 读取）"
    if kind == "component":
        return f"填写{params.what}（{fmt(params.scale)}分制，{s.words()}）"
    if kind == "checklist":
        req = next(r for r in params.items if r.id == item)
        return f"{req.name}：达到填 1，未达到填 0（{fmt(req.points)}分）"
    if kind == "deductions":
        k = next(k for k in params.kinds if k.id == item)
        return f"{k.name}的{k.unit}数（没有填 0；每{k.unit}扣{fmt(k.cost)}分）"
    if kind == "required_count":
        if item == params.gate_item:
            return f"质量达标填 1，{params.gate_name}填 0（不达标本项不得分）"
        return (f"{params.what}的{params.unit}数（要求不少于{fmt(params.required)}{params.unit}，"
                f"每少1{params.unit}扣{fmt(params.cost)}分）")
    if kind == "attainment":
        u = params.unit_of_measure
        if item == "target":
            return f"本单位的目标值{('（' + u + '）') if u else ''}"
        target = f"，目标{fmt(params.target)}{u}" if params.target is not None else ""
        better = "，越少越好" if params.direction == "lower" else ""
        return f"{params.quantity}的完成值{('（' + u + '）') if u else ''}{target}{better}"
    if kind == "class_deduction":
        costs = "、".join(f"{c}类扣{fmt(x)}分" for c, x in params.costs.items())
        return f"本事项年度目标任务：达到填 1，未达到填 0（未达到：{costs}）"
    if kind == "quota_grade":
        return "填写测评得分（不小于0）；按比例分档计分"
    return f"填写{s.what}（{s.words()}）"


def rule_words(node: Node, params: Any) -> str:
    """The leaf's rule in one sentence, for the instructions sheet."""
    assert node.rule is not None
    kind = node.rule.kind
    mx = fmt(node.max_points)
    combine = getattr(params, "combine", None)
    several = f"；多个评分人时{COMBINE_ZH[combine]}" if combine else ""
    if kind == "rater_points":
        scale = f"按{fmt(params.scale)}分制评分后折合" if params.scale else "直接评分"
        return f"满分{mx}分，{scale}{several}"
    if kind == "rate_to_points":
        if params.method == "linear":
            return (f"满分{mx}分，{params.what}{fmt(params.floor * 100)}%及以下得0分，"
                    f"{fmt(params.ceiling * 100)}%及以上得满分，其间按比例{several}")
        bands = "、".join(f"{fmt(b.min * 100)}%以上得{fmt(b.share * 100)}%" for b in params.bands)
        return f"满分{mx}分，{params.what}按分档计分：{bands}{several}"
    if kind == "component":
        return f"满分{mx}分，{params.what}（{fmt(params.scale)}分制）折合本项分值{several}"
    if kind == "checklist":
        return f"满分{mx}分，逐项达标计分：" + "、".join(
            f"{r.name}{fmt(r.points)}分" for r in params.items)
    if kind == "deductions":
        return f"满分{mx}分，按次扣分，扣完为止：" + "、".join(
            f"{k.name}每{k.unit}扣{fmt(k.cost)}分" for k in params.kinds)
    if kind == "required_count":
        return (f"满分{mx}分，{params.what}不少于{fmt(params.required)}{params.unit}，"
                f"每少1{params.unit}扣{fmt(params.cost)}分")
    if kind == "attainment":
        return f"满分{mx}分，按{params.quantity}目标完成率计分"
    if kind == "class_deduction":
        return f"满分{mx}分，负责的改革事项未达年度目标按类别扣分"
    if kind == "quota_grade":
        tiers = "、".join(f"{t.name}{fmt(t.points)}分" for t in params.tiers)
        return f"满分{mx}分，测评后按比例分档：{tiers}"
    if kind == "level_points":
        levels = "、".join(f"{v.name}{fmt(v.points)}分" for v in params.levels.values())
        cap = f"，最多{fmt(params.cap)}分" if params.cap is not None else ""
        return f"按级别计分：{levels}{cap}"
    if kind == "highest_per_work":
        levels = "、".join(f"{v.name}{fmt(v.points)}分" for v in params.levels.values())
        cap = f"，累计不超过{fmt(params.cap)}分" if params.cap is not None else ""
        return f"同一工作就高计分、不同工作累加：{levels}{cap}"
    if kind == "credits_findings":
        rounds = "、".join(f"{v.name}{fmt(v.credit)}分" for v in params.rounds.values())
        return (f"每轮接受检查赋分（{rounds}）；出现问题导致{params.lost_by}被扣分的，"
                "取消该轮赋分并扣减同等分值")
    if kind == "veto":
        return "一票否决：" + "、".join(c.name for c in params.cases.values())
    return f"满分{mx}分"


def event_types(params: Any) -> list[tuple[str, str]]:
    """(type id, Chinese name) of the events a rule reads, in the rubric's order."""
    for attr in ("levels", "rounds", "cases"):
        found = getattr(params, attr, None)
        if found:
            out = [(k, v.name) for k, v in found.items()]
            out += [(k, v) for k, v in getattr(params, "zero_types", {}).items()]
            return out
    return sorted((t, t) for t in (params.event_types() or set()))

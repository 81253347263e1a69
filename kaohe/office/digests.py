"""What an indicator asks of a department: its points, rule and parameters, as a digest.

A template records the digest of each of its indicators when it is made; an import compares
them with the rubric it is imported against, so a template filled after the rubric moved
(r10 from 5 to 4 points) is refused, naming what changed, instead of read against rules it
was not made for. The digest is taken over the rubric's own text values (``points``, the
rule's ``kind`` and its parameters as written), so it does not depend on how kaohe types them.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ..rubric import Node

META_ROW = "indicator"  # rows of a template's hidden metadata sheet: indicator, id, digest, json


def indicator_terms(node: Node) -> dict[str, Any]:
    """The terms of an indicator a return is made against."""
    rule = node.rule
    return {"points": node.points, "kind": rule.kind if rule else None,
            "params": rule.model_dump(mode="json", exclude_unset=True, exclude={"kind"})
            if rule else {}}


def _canonical(terms: dict[str, Any]) -> str:
    return json.dumps(terms, ensure_ascii=False, sort_keys=True, default=str)


def indicator_digest(node: Node) -> str:
    """A short, stable digest of an indicator's terms (16 hex digits)."""
    return hashlib.sha256(_canonical(indicator_terms(node)).encode()).hexdigest()[:16]


def terms_json(node: Node) -> str:
    return _canonical(indicator_terms(node))


def _num(x: Any) -> str:
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return "—" if x is None else str(x)


def what_changed(old: dict[str, Any], node: Node) -> list[str]:
    """The differences between recorded terms and the rubric's, in words: 满分 5 → 4."""
    new = indicator_terms(node)
    out = []
    if old.get("points") != new["points"]:
        out.append(f"满分 {_num(old.get('points'))} → {_num(new['points'])}")
    if old.get("kind") != new["kind"]:
        out.append(f"评分规则 {old.get('kind')} → {new['kind']}")
    op, np_ = old.get("params") or {}, new["params"]
    for key in sorted(set(op) | set(np_)):
        if op.get(key) != np_.get(key):
            out.append(f"参数 {key}：{_short(op.get(key))} → {_short(np_.get(key))}")
    return out or ["评分细则中的内容有变化"]


def _short(x: Any) -> str:
    if isinstance(x, float) and x.is_integer():
        x = int(x)  # a validated parameter is 100.0 where the rubric wrote 100
    text = "—" if x is None else (x if isinstance(x, str) else json.dumps(x, ensure_ascii=False,
                                                                          default=str))
    return text if len(text) <= 60 else text[:57] + "…"


__all__ = ["META_ROW", "indicator_digest", "indicator_terms", "terms_json", "what_changed"]

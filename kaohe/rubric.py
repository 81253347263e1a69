"""The rubric (评分细则) of one scheme-year as typed objects.

A rubric file is YAML, safe-loaded and validated by pydantic. Loading collects every
problem (with the file and the key path) before refusing, so an analyst fixes a broken
rubric in one pass. Rule parameters are validated by the rule's own model from the
registry; nothing from the file is ever evaluated as code.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import Code, KaoheError, Problem, RubricError, display_path
from .publication import Publication
from .readers.yamlfile import YamlDoc, load_yaml
from .rules import REGISTRY, Rule

TOLERANCE = 1e-6

# Columns of the totals table: first-level and adjustment ids become columns beside them.
RESERVED_IDS = frozenset({
    "unit_id", "name", "kind", "base", "base_max", "rescaled", "total", "vetoed", "veto_reason",
    "barred", "rank", "group_size", "grade", "advanced", "warning", "converted",
    "conversion_name", "explain",
    "rescale",
})


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class UnitKind(Model):
    """A kind of assessed unit (镇街, 县直单位, 乡镇 …)."""

    id: str
    name: str


class AppliesTo(Model):
    """Which units an indicator applies to; empty lists mean no restriction."""

    kinds: list[str] = []
    units: list[str] = []
    except_units: list[str] = []
    reason: str = ""

    def admits(self, unit_id: str, kind: str) -> bool:
        """Whether a unit of ``kind`` is in scope (the sample-data generators ask)."""
        if self.kinds and kind not in self.kinds:
            return False
        if self.units and unit_id not in self.units:
            return False
        return unit_id not in self.except_units


def _rule_union() -> Any:
    """The rubric's ``rule``: one of the registered rule classes, chosen by ``kind``."""
    kinds = tuple(REGISTRY.values())
    return Annotated[Union[kinds], Field(discriminator="kind")]  # noqa: UP007


if TYPE_CHECKING:
    AnyRule = Rule
else:
    AnyRule = _rule_union()


class Node(Model):
    """An indicator: a group with children, or a leaf scored by one rule."""

    id: str
    name: str
    points: float | None = Field(default=None, ge=0)
    weight: float | None = Field(default=None, gt=0, le=1)
    content: str = ""
    standard: str = ""
    department: str = ""
    method: str = ""
    applies_to: AppliesTo | None = None
    aggregate: Literal["sum", "weighted"] = "sum"
    missing: Literal["shrink", "share"] = "shrink"
    rule: AnyRule | None = None
    children: list[Node] = []
    ours: str = ""

    @property
    def is_leaf(self) -> bool:
        return not self.children

    @property
    def max_points(self) -> float:
        return float(self.points or 0.0)


class QuotaTier(Model):
    name: str
    share: float | None = Field(default=None, ge=0, le=1)
    min: float | None = None


class GradeSpec(Model):
    """Grades by quota (shares of the group, the last tier takes the rest) or thresholds."""

    method: Literal["quota", "thresholds"]
    tiers: list[QuotaTier]
    kinds: list[str] = []  # unit kinds graded by this spec; empty = all
    rounding: Literal["half_up", "floor", "ceil"] = "half_up"
    ties: Literal["higher", "lower"] = "higher"
    within: list[str] = []
    ours: str = ""


class RankingSpec(Model):
    within: list[str] = []
    method: Literal["min", "dense"] = "min"
    vetoed_last: bool = True
    decimals: int = Field(default=2, ge=0, le=6)  # totals are ranked as published
    ours: str = ""


TiesAtLine = Literal["all", "none"]


class AdvancedSpec(Model):
    """Advanced units (先进): the top N or top share of each group.

    ``ties``: units tied at the line (the Nth place) are ``all`` on the list (it may be
    longer than N) or ``none`` of them (shorter). The documents do not say; the default
    reads a tie in the units' favour: all of them."""

    kinds: list[str] = []  # unit kinds this list is drawn from; empty = all
    top_n: int | None = Field(default=None, ge=0)
    top_share: float | None = Field(default=None, ge=0, le=1)
    grade_in: list[str] = []  # or: the units graded in these grades (综合评价“好”的予以表扬)
    within: list[str] = []
    rounding: Literal["half_up", "floor", "ceil"] = "half_up"
    min_total: float | None = None
    ties: TiesAtLine = "all"
    name: str = "先进"
    ours: str = ""

    @model_validator(mode="after")
    def _one_of(self) -> AdvancedSpec:
        given = [self.top_n is not None, self.top_share is not None, bool(self.grade_in)]
        if sum(given) != 1:
            raise ValueError("advanced 须且只能给出 top_n、top_share 或 grade_in 之一")
        return self


class WarningSpec(Model):
    """Warned units (警示): below a total, or the bottom share of each group.

    ``ties``: units tied at the bottom-share line are ``all`` warned (the list may be longer)
    or ``none`` of them (shorter). The documents do not say; the default reads a tie in the
    units' favour: none of them."""

    kinds: list[str] = []
    below: float | None = None
    bottom_share: float | None = Field(default=None, ge=0, le=1)
    within: list[str] = []
    rounding: Literal["half_up", "floor", "ceil"] = "half_up"
    ties: TiesAtLine = "none"
    name: str = "警示"
    ours: str = ""


class ConversionSpec(Model):
    """Points above ``above`` converted at ``rate`` into another system's points, capped.

    ``kinds`` limits a spec to some unit kinds, because each kind may feed its own system
    (安福: 县直单位 → 绩效考评加分, 乡镇 → 综合考评加分); empty = all kinds."""

    kinds: list[str] = []
    above: float = 100.0
    rate: float = Field(gt=0)
    cap: float | None = Field(default=None, ge=0)
    name: str = "折算加分"


class HistoryFlag(Model):
    """A result over consecutive years, computed from this year and earlier results."""

    id: str
    name: str
    years: int = Field(ge=2)
    when: Literal["last_in_group", "bottom_share", "advanced"]
    kinds: list[str] = []
    share: float | None = Field(default=None, gt=0, le=1)
    within: list[str] = []
    rounding: Literal["half_up", "floor", "ceil"] = "half_up"
    ours: str = ""


class Results(Model):
    """Result rules. Grades, advanced and warning lists may be given once or as a list of
    specs, each for some unit kinds (Sichuan: a third of the cities, 20% of the counties
    of each region)."""

    ranking: RankingSpec = RankingSpec()
    grades: list[GradeSpec] = []
    advanced: list[AdvancedSpec] = []
    warning: list[WarningSpec] = []
    conversion: list[ConversionSpec] = []
    history_flags: list[HistoryFlag] = []

    @field_validator("grades", "advanced", "warning", "conversion", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        if v is None:
            return []
        return [v] if isinstance(v, dict) else v


class Rubric(Model):
    scheme: str
    year: int
    period: str = ""
    title: str
    authority: str = ""
    document: str = ""
    full_score: float = 100.0
    unit_kinds: list[UnitKind]
    groups: list[str] = []
    indicators: list[Node]
    adjustments: list[Node] = []
    order: list[str] = []
    results: Results = Results()
    notes: list[str] = []
    publication: Publication | None = None  # 发文信息 of the bulletin as a 公文

    # -- traversal ------------------------------------------------------------------
    def walk(self) -> Iterator[tuple[Node, Node | None, int]]:
        """Every indicator with its parent and depth (1 = first level), depth first."""

        def rec(node: Node, parent: Node | None, depth: int) -> Iterator[tuple[Node, Node | None, int]]:
            yield node, parent, depth
            for child in node.children:
                yield from rec(child, node, depth + 1)

        for top in self.indicators:
            yield from rec(top, None, 1)

    def leaves(self) -> list[Node]:
        return [n for n, _, _ in self.walk() if n.is_leaf]

    def scored_leaves(self) -> list[Node]:
        """Leaves of the tree, then adjustments: everything a rule scores."""
        return self.leaves() + list(self.adjustments)

    def node(self, node_id: str) -> Node:
        for n, _, _ in self.walk():
            if n.id == node_id:
                return n
        for n in self.adjustments:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def kind_ids(self) -> list[str]:
        return [k.id for k in self.unit_kinds]


# -- loading --------------------------------------------------------------------------


class LoadedRubric(Model):
    """A rubric with where it came from, for provenance."""

    rubric: Rubric
    path: str
    sha256: str


def load_rubric(path: Path | str) -> LoadedRubric:
    """Safe-load and validate a rubric file; raise KaoheError listing every problem."""
    path = Path(path)
    shown = display_path(path)
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise RubricError([Problem(shown, "", "", f"无法读取评分细则文件：{exc.strerror}",
                                   Code.RUBRIC_UNREADABLE)]) from exc
    try:  # duplicate keys, NaN, tags, encodings: refused, located
        doc = load_yaml(raw_bytes, shown)
    except KaoheError as exc:
        raise RubricError([replace(p, code=p.code or Code.RUBRIC_UNREADABLE)
                           for p in exc.problems]) from exc
    raw = doc.data
    if not isinstance(raw, dict):
        raise RubricError([Problem(shown, "", "", "评分细则文件应为一个 YAML 映射（键: 值）",
                                   Code.RUBRIC_UNREADABLE)])
    try:
        rubric = Rubric.model_validate(raw)
    except ValidationError as exc:
        errors = [{**e, "loc": _plain_loc(e["loc"])} for e in exc.errors()]
        found = [(_key_path(_tag_loc(e)), _message(e), _code(e)) for e in errors]
        found += [(k, m, Code.RUBRIC_INCONSISTENT) for k, m in _check_the_rest(raw, errors)]
        raise RubricError(_located(shown, doc, found)) from exc
    found = [(key, msg, Code.RUBRIC_INCONSISTENT) for key, msg in check_rubric(rubric)]
    found += _year_of_file(rubric, path)
    if found:
        raise RubricError(_located(shown, doc, found))
    return LoadedRubric(rubric=rubric, path=shown, sha256=hashlib.sha256(raw_bytes).hexdigest())


def _code(err: Mapping[str, Any]) -> Code:
    if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
        return Code.RUBRIC_UNKNOWN_RULE
    return Code.RUBRIC_INVALID


def _year_of_file(rubric: Rubric, path: Path) -> list[tuple[str, str, Code]]:
    """The year inside a rubric must be the year its file is named after (``2023.yaml``,
    ``2021-Q1.yaml``): a rubric copied for a new year and not edited would score the new
    year's data under the old year's name."""
    m = re.match(r"(\d{4})(?!\d)", path.stem)
    if m and int(m.group(1)) != rubric.year:
        return [("year", f"评分细则中的年度 {rubric.year} 与文件名“{path.name}”的年度 {m.group(1)} "
                         "不符：请修改 year 或文件名", Code.RUBRIC_INCONSISTENT)]
    return []


def _located(shown: str, doc: YamlDoc, found: list[tuple[str, str, Code]]) -> list[Problem]:
    """Problems at key paths, each with the line and column of its key (or of its nearest
    ancestor in the file) from the YAML loader's marks."""
    out = []
    for key, message, code in found:
        line, col = doc.mark(key) or (0, 0)
        out.append(Problem(shown, key, "", message, code, line, col))
    return out


def _check_the_rest(raw: dict[str, Any], errors: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """When the only problems are unknown keys (typos) and invalid rules, the rubric without
    them is checked too, so one pass shows every problem."""
    in_rule = [e["loc"] for e in errors if "rule" in e["loc"]]
    rule_locs = sorted({loc[:loc.index("rule") + 1] for loc in in_rule}, key=str)
    unknown = [e["loc"] for e in errors
               if e["type"] == "extra_forbidden" and "rule" not in e["loc"]]
    if len(unknown) + len(in_rule) != len(errors):
        return _rule_checks(raw)
    try:
        rest = Rubric.model_validate(_without(raw, unknown + rule_locs))
    except ValidationError:
        return _rule_checks(raw)
    dropped = {_key_path(loc) for loc in rule_locs}  # their problems are reported already
    return [(k, m) for k, m in check_rubric(rest) if k not in dropped]


def _rule_checks(raw: dict[str, Any]) -> list[tuple[str, str]]:
    """``Rule.check`` of every rule in a rubric that failed validation elsewhere, so one pass
    shows a rule's own problems too."""
    adapter: TypeAdapter[Rule] = TypeAdapter(AnyRule)
    out: list[tuple[str, str]] = []

    def visit(node: Any, path: str) -> None:
        if not isinstance(node, dict):
            return
        rule, points = node.get("rule"), node.get("points")
        if isinstance(rule, dict) and isinstance(points, (int, float)):
            try:
                checked = adapter.validate_python(rule)
            except ValidationError:
                pass
            else:
                out.extend((f"{path}.rule", m) for m in checked.check(float(points)))
        children = node.get("children")
        for i, child in enumerate(children if isinstance(children, list) else []):
            visit(child, f"{path}.children[{i}]")

    for where in ("indicators", "adjustments"):
        nodes = raw.get(where)
        for i, node in enumerate(nodes if isinstance(nodes, list) else []):
            visit(node, f"{where}[{i}]")
    return out


def _without(raw: dict[str, Any], locs: list[tuple[Any, ...]]) -> dict[str, Any]:
    """A deep copy of ``raw`` without the keys at ``locs`` (pydantic error locations)."""
    out = copy.deepcopy(raw)
    for loc in locs:
        parent: Any = out
        for part in loc[:-1]:
            parent = parent[part]
        parent.pop(loc[-1], None)
    return out


def _plain_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """A pydantic error location without the rule union's tag: (…, "rule", "checklist",
    "items") → (…, "rule", "items"), the keys as written in the file."""
    out = []
    for i, part in enumerate(loc):
        if i and loc[i - 1] == "rule" and part in REGISTRY:
            continue
        out.append(part)
    return tuple(out)


def _tag_loc(err: dict[str, Any]) -> tuple[Any, ...]:
    """Where an error is: a rule's missing or unknown ``kind`` is at its ``kind`` key."""
    loc: tuple[Any, ...] = err["loc"]
    if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
        return (*loc, "kind")
    return loc


def _key_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


_PYDANTIC_ZH = {
    "missing": "缺少必填项",
    "extra_forbidden": "未知的键",
    "float_parsing": "应为数字",
    "int_parsing": "应为整数",
    "string_type": "应为文本",
    "list_type": "应为列表",
    "literal_error": "取值不在允许范围内",
    "greater_than_equal": "数值过小",
    "greater_than": "数值过小",
    "less_than_equal": "数值过大",
    "dict_type": "应为映射（键: 值）",
    "finite_number": "应为有限的数（不能是 NaN 或无穷大）",
    "model_type": "应为映射（键: 值）",
}


_BOUNDS = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}


def _message(err: Mapping[str, Any]) -> str:
    """pydantic's error in Chinese with its bounds and the value found; pydantic's English
    text only for an error type not translated."""
    if err["type"] == "union_tag_invalid":
        known = "、".join(sorted(REGISTRY))
        return f"未知的评分规则“{err['ctx']['tag']}”（可用：{known}）"
    if err["type"] == "union_tag_not_found":
        return "缺少评分规则名 kind（可用：" + "、".join(sorted(REGISTRY)) + "）"
    zh = _PYDANTIC_ZH.get(err["type"])
    if not zh:
        return str(err["msg"])
    ctx = err.get("ctx") or {}
    wants = [f"应 {_BOUNDS[k]} {ctx[k]}" for k in _BOUNDS if k in ctx]
    if "expected" in ctx:
        wants.append(f"应为 {str(ctx['expected']).replace(' or ', '、')} 之一")
    value = err.get("input")
    if err["type"] not in ("missing", "extra_forbidden", "dict_type", "model_type") \
            and isinstance(value, (str, int, float)) and not isinstance(value, bool):
        wants.append(f"实为“{value}”")
    return f"{zh}（{'，'.join(wants)}）" if wants else zh


# -- cross-checks ---------------------------------------------------------------------


def check_rubric(rubric: Rubric) -> list[tuple[str, str]]:
    """Checks that need the whole rubric: ids, sums, weights, rules, references."""
    problems: list[tuple[str, str]] = []
    kinds = set(rubric.kind_ids())
    seen: dict[str, str] = {}

    def visit(node: Node, path: str, parent: Node | None) -> None:
        if node.id in seen:
            problems.append((f"{path}.id", f"指标编号“{node.id}”重复（另见 {seen[node.id]}）"))
        else:
            seen[node.id] = path
        if node.applies_to:
            for k in node.applies_to.kinds:
                if k not in kinds:
                    problems.append(
                        (f"{path}.applies_to.kinds", f"单位类别“{k}”未在 unit_kinds 中定义")
                    )
        if parent is not None and parent.aggregate == "weighted" and node.weight is None:
            problems.append((f"{path}.weight", "上级按权重汇总（aggregate: weighted），本项须给出 weight"))
        if node.is_leaf:
            if node.rule is None:
                problems.append((f"{path}.rule", "末级指标须指定评分规则（rule）"))
            else:
                problems.extend(_check_rule(node, f"{path}.rule"))
            if node.points is None:
                problems.append((f"{path}.points", "末级指标须给出分值（points，可为 0）"))
            return
        if node.rule is not None:
            problems.append((f"{path}.rule", "有下级指标的项目不能直接指定评分规则"))
        for i, child in enumerate(node.children):
            visit(child, f"{path}.children[{i}]", node)
        if node.points is None:
            problems.append((f"{path}.points", "须给出分值（points）"))
        elif node.aggregate == "sum":
            total = sum(c.max_points for c in node.children)
            if abs(total - node.max_points) > TOLERANCE:
                problems.append(
                    (
                        f"{path}.children",
                        f"下级指标分值合计 {total:g} 分，与“{node.name}”的 {node.max_points:g} 分不符",
                    )
                )
        else:
            wsum = sum(c.weight or 0.0 for c in node.children)
            if abs(wsum - 1.0) > TOLERANCE:
                problems.append((f"{path}.children", f"下级指标权重合计为 {wsum:g}，应为 1"))

    for i, top in enumerate(rubric.indicators):
        visit(top, f"indicators[{i}]", None)
    for i, adj in enumerate(rubric.adjustments):
        path = f"adjustments[{i}]"
        if adj.id in seen:
            problems.append((f"{path}.id", f"编号“{adj.id}”重复（另见 {seen[adj.id]}）"))
        seen[adj.id] = path
        if adj.children:
            problems.append((f"{path}.children", "加减分项不能有下级指标"))
        if adj.rule is None:
            problems.append((f"{path}.rule", "加减分项须指定评分规则（rule）"))
        else:
            problems.extend(_check_rule(adj, f"{path}.rule"))

    # Each unit kind's applicable first-level indicators must add up to the full score.
    for kind in rubric.unit_kinds:
        tops = [
            t for t in rubric.indicators if t.applies_to is None or not t.applies_to.kinds
            or kind.id in t.applies_to.kinds
        ]
        total = sum(t.max_points for t in tops)
        if abs(total - rubric.full_score) > TOLERANCE:
            problems.append(
                (
                    "indicators",
                    f"“{kind.name}”适用的一级指标分值合计 {total:g} 分，与满分 {rubric.full_score:g} 分不符",
                )
            )

    for where, nodes in (("indicators", rubric.indicators), ("adjustments", rubric.adjustments)):
        for i, n in enumerate(nodes):
            if n.id in RESERVED_IDS or n.id in rubric.groups:
                problems.append((f"{where}[{i}].id", f"编号“{n.id}”与结果表的列名冲突，请换一个编号"))

    adjustment_ids = {a.id for a in rubric.adjustments}
    for i, step in enumerate(rubric.order):
        if step != "rescale" and step not in adjustment_ids:
            problems.append((f"order[{i}]", f"步骤“{step}”既不是 rescale，也不是已定义的加减分项"))
    for adj_id in sorted(adjustment_ids - set(rubric.order)):
        problems.append(("order", f"加减分项“{adj_id}”未列入计分顺序（order）"))

    # Rules that refer to other indicators.
    for node in rubric.scored_leaves():
        if node.rule is None:
            continue
        for ref in node.rule.refers_to():
            if ref not in seen:
                problems.append((f"{seen[node.id]}.rule", f"引用的指标“{ref}”不存在"))

    res = rubric.results
    group_cols = set(rubric.groups) | {"kind"}
    specs: list[tuple[str, Any]] = [("results.ranking", res.ranking)]
    for name in ("grades", "advanced", "warning", "conversion", "history_flags"):
        specs += [(f"results.{name}[{i}]", s) for i, s in enumerate(getattr(res, name))]
    for path, spec in specs:
        for col in getattr(spec, "within", []):
            if col not in group_cols:
                problems.append((f"{path}.within", f"分组“{col}”未在 groups 中声明"))
        for k in getattr(spec, "kinds", []):
            if k not in kinds:
                problems.append((f"{path}.kinds", f"单位类别“{k}”未在 unit_kinds 中定义"))
    converted: dict[str, int] = {}
    for i, c in enumerate(res.conversion):
        for k in c.kinds or sorted(kinds):
            if k in converted:
                problems.append((f"results.conversion[{i}].kinds",
                                 f"单位类别“{k}”已由 conversion[{converted[k]}] 折算，不能重复折算"))
            converted.setdefault(k, i)
    for i, g in enumerate(res.grades):
        problems.extend((f"results.grades[{i}]{p[len('results.grades'):]}", m)
                        for p, m in _check_grades(g))
    return problems


def _check_grades(spec: GradeSpec) -> list[tuple[str, str]]:
    out = []
    if len(spec.tiers) < 2:
        out.append(("results.grades.tiers", "至少需要两个等次"))
    if spec.method == "quota":
        if any(t.share is None for t in spec.tiers[:-1]):
            out.append(("results.grades.tiers", "按比例定等次时，除最后一档外每档须给出 share"))
        total = sum(t.share or 0 for t in spec.tiers[:-1])
        if total > 1 + TOLERANCE:
            out.append(("results.grades.tiers", f"各档比例合计 {total:g}，超过 1"))
    else:
        mins = [t.min for t in spec.tiers[:-1]]
        given = [m for m in mins if m is not None]
        if len(given) < len(mins):
            out.append(("results.grades.tiers", "按分数线定等次时，除最后一档外每档须给出 min"))
        elif given != sorted(given, reverse=True):
            out.append(("results.grades.tiers", "分数线须从高到低排列"))
    return out


def _check_rule(node: Node, path: str) -> list[tuple[str, str]]:
    assert node.rule is not None
    return [(path, msg) for msg in node.rule.check(node.max_points)]

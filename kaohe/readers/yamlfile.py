"""YAML files (rubrics, ``dataset.yaml``) read so that nothing in them can hide a change.

PyYAML alone keeps the last of two equal keys (a second ``results:`` pasted at the end of a
copied rubric silently replaces the first), reads ``.nan`` and ``.inf`` as numbers, and
reports in English. Here the document is first composed into nodes, which keep their
positions; the nodes are checked (duplicate keys with both lines, NaN / infinity, tags other
than YAML's own), then constructed with the safe constructor. The positions are kept as a
key path → (line, column) lookup (``YamlDoc.mark``) so later validation can say where a key
is. Files are decoded like CSV files (UTF-8 with or without BOM, or GB18030).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..errors import KaoheError, Problem
from .csvtext import decode_lines

# libyaml's parser when PyYAML was built with it; construction stays the safe constructor
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STANDARD_TAGS = {f"tag:yaml.org,2002:{t}" for t in (
    "str", "int", "float", "bool", "null", "map", "seq", "timestamp", "merge", "value",
    "binary", "set", "omap", "pairs")}
_FLOAT = "tag:yaml.org,2002:float"
_NOT_FINITE = re.compile(r"^[-+]?\.?(nan|inf|infinity)$", re.I)


@dataclass(frozen=True)
class YamlDoc:
    """A loaded document and where each key path starts (1-based line and column)."""

    data: Any
    marks: dict[str, tuple[int, int]] = field(default_factory=dict)

    def mark(self, path: str) -> tuple[int, int] | None:
        """(line, column) of ``path`` (``indicators[0].children[1].points``), or of its
        nearest ancestor present in the file (a missing key is reported where its mapping
        is; None at the top level)."""
        while path:
            if path in self.marks:
                return self.marks[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return None  # the whole document: line 1 says nothing

    def where(self, path: str) -> str:
        """``第12行第5列`` for a key path, or empty when it cannot be told."""
        m = self.mark(path)
        return f"第{m[0]}行第{m[1]}列" if m else ""


def load_yaml(raw: bytes, shown: str) -> YamlDoc:
    """Decode, compose, check and construct one YAML document; KaoheError listing every
    problem found in the nodes, or the first syntax error, located and in Chinese."""
    text = decode_lines(raw, shown)
    loader = _LOADER(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.YAMLError as exc:
            raise KaoheError([syntax_problem(exc, shown)]) from exc
        if node is None:
            return YamlDoc(None, {})
        marks: dict[str, tuple[int, int]] = {}
        problems: list[Problem] = []
        _walk(node, "", marks, problems, shown)
        if problems:
            raise KaoheError(problems)
        try:
            data = loader.construct_document(node)
        except yaml.YAMLError as exc:
            raise KaoheError([syntax_problem(exc, shown)]) from exc
        return YamlDoc(data, marks)
    finally:
        loader.dispose()


def _pos(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _walk(node: yaml.Node, path: str, marks: dict, problems: list[Problem], shown: str) -> None:
    marks.setdefault(path, _pos(node))
    if node.tag not in _STANDARD_TAGS:
        line, col = _pos(node)
        problems.append(Problem(shown, str(line), str(col),
                                f"不支持的 YAML 标签“{node.tag}”：这里只能写普通的文本、数值、列表和映射"))
        return
    if isinstance(node, yaml.ScalarNode):
        if node.tag == _FLOAT and _NOT_FINITE.match(node.value.strip()):
            line, col = _pos(node)
            problems.append(Problem(shown, str(line), str(col),
                                    f"“{node.value}”不是有限的数（NaN 或无穷大）：请填写数值"))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, f"{path}[{i}]", marks, problems, shown)
    elif isinstance(node, yaml.MappingNode):
        seen: dict[str, tuple[int, int]] = {}
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
                _walk(value, path, marks, problems, shown)
                continue
            name = key.value
            line, col = _pos(key)
            if name in seen:
                problems.append(Problem(
                    shown, str(line), str(col),
                    f"键“{name}”重复：第{seen[name][0]}行和第{line}行都写了它（后一个会整个替换前一个）："
                    "请删除或合并其中一个"))
                continue
            seen[name] = (line, col)
            sub = f"{path}.{name}" if path else name
            marks[sub] = (line, col)
            _walk(value, sub, marks, problems, shown)


# PyYAML's problems, in words an analyst editing a rubric can act on
_SYNTAX_ZH = (
    ("'\\t'", "此处有制表符（Tab）：YAML 只能用空格缩进，请把 Tab 换成空格"),
    ("tab", "此处有制表符（Tab）：YAML 只能用空格缩进，请把 Tab 换成空格"),
    ("cannot start any token", "此处的字符不能作为值的开头：常见原因是用 Tab 缩进，或值以 @、`、% 开头而"
                               "未加引号"),
    ("constructor for the tag", "不支持的 YAML 标签：这里只能写普通的文本、数值、列表和映射"),
    ("mapping values are not allowed", "此处不能有“: ”：值中有英文冒号时请给整个值加引号，或检查缩进"),
    ("could not find expected ':'", "缺少“:”：每一行应为“键: 值”，或检查缩进和引号"),
    ("unexpected end of stream", "引号或括号没有闭合"),
    ("expected ',' or ']'", "方括号“[”没有闭合，或列表项之间缺少逗号"),
    ("expected ',' or '}'", "花括号“{”没有闭合，或映射项之间缺少逗号"),
    ("did not find expected key", "缩进不一致：同一层的键须左对齐"),
    ("expected <block end>", "缩进不一致：同一层的键须左对齐"),
    ("did not find expected '-'", "缩进不一致：列表项“- ”须左对齐"),
    ("did not find expected node content", "此处缺少值"),
    ("undefined alias", "引用了未定义的锚点（*名称）"),
    ("unknown escape character", "双引号中的反斜杠“\\”须写成“\\\\”，或改用单引号"),
    ("unacceptable character", "含有不可见的控制字符：请删除"),
    ("duplicate", "键重复"),
)


def syntax_problem(exc: yaml.YAMLError, shown: str) -> Problem:
    """A PyYAML error as one located problem in Chinese (the English text only when the
    problem is none of the known ones)."""
    problem = str(getattr(exc, "problem", "") or exc)
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, col = (str(mark.line + 1), str(mark.column + 1)) if mark is not None else ("", "")
    for needle, zh in _SYNTAX_ZH:
        if needle in problem:
            return Problem(shown, line, col, f"YAML 格式错误：{zh}")
    return Problem(shown, line, col, f"YAML 格式错误：无法解析（{problem}）")

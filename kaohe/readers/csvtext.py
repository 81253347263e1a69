"""The bytes → text layer of a CSV file: nothing a spreadsheet shows is read differently.

``decode_csv`` is called on the whole file before any parsing (``check_quotes``, its check
of quotes alone, when the fast path of ``kaohe.columnar`` reads the file: pyarrow takes only
valid UTF-8, and ``columnar`` hands any file with a control character among its cells back,
so anything else goes through ``decode_csv``). The common file (one encoding, no control
characters, no quoted cell over several lines) passes a few checks that run over the whole
buffer in C (a decode, a regular-expression scan); only a file that fails one of them is
looked at line by line, to say where and what:

- the encoding is decided per line: a GB18030 file (Excel's plain CSV on Chinese Windows)
  with a line appended in UTF-8 (Notepad) would otherwise turn that line into mojibake;
- a quoted cell that spans lines which look like rows (an unbalanced ``"`` typed in a
  description swallows the rows up to the next ``"``) is refused; a cell with line breaks
  typed with Alt+Enter is kept;
- control characters (a vertical tab from Word's Shift+Enter, a NUL) are refused: they break
  Excel outputs half-way and cannot be seen in a spreadsheet;

``tidy`` drops what Excel adds around a table (empty trailing columns, rows of commas only),
with a note, and ``explain_header`` says why a header lacks the expected columns (another
separator, a title row above it, the template's Chinese headers).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import KaoheError, Problem

ENCODINGS = ("utf-8-sig", "gb18030")
# C0 controls except tab, line feed and carriage return, and DEL
# the control characters refused (a pattern RE2 reads too: kaohe.columnar looks for them
# in the distinct values of a file read the fast way)
CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_CONTROL = re.compile(CONTROL.encode())
_NOT_CONTROL = bytes(b for b in range(256) if not _CONTROL.match(bytes([b])))
# a quoted cell from its opening quote, possibly unclosed (then group 1 is empty)
_QUOTED = re.compile(rb'"[^"]*(?:""[^"]*)*("?)')
# a line that may be a row of empty cells: commas, blanks, quotes (full-width space in
# UTF-8 or GB18030 by its bytes); only then are the parsed rows looked at
_MAYBE_EMPTY_ROW = re.compile(rb'(?m)^[ \t"\xa1\xe3\x80]*(?:,[ \t"\xa1\xe3\x80]*)+\r?$')
_CONTROL_NAMES = {0x00: "空字符 NUL", 0x0B: "垂直制表符（Word 中的 Shift+Enter）",
                  0x0C: "换页符", 0x1B: "ESC", 0x7F: "DEL"}
# the Chinese headers of the template's data sheet, as a user copies them into a CSV
TEMPLATE_HEADERS = {"单位编号": "unit_id", "单位名称": "name", "指标编号": "indicator_id",
                    "分项编号": "item", "填报值": "value", "评分人/数据来源": "source",
                    "说明": "note", "事件类型": "type", "情况说明": "description",
                    "日期": "date", "工作事项": "work"}


def decode_csv(raw: bytes, shown: str) -> str:
    """The text of a CSV file, or KaoheError naming the lines that cannot be read as the
    user sees them."""
    text = decode_lines(raw, shown)
    problems = control_characters(raw, shown) + unbalanced_quotes(raw, shown)
    if problems:
        raise KaoheError(problems)
    return text


def check_bytes(raw: bytes, shown: str) -> None:
    """``decode_csv``'s checks but the encoding, for a file about to be read by the fast
    path (``kaohe.columnar``), which takes only valid UTF-8 (pyarrow refuses any other
    bytes as it reads; the general path then decodes with ``decode_csv``): no decoded copy
    of a national file is made just to be thrown away. A file that fails raises exactly
    what ``decode_csv`` raises (its encoding problems come first)."""
    if control_characters(raw, shown) or unbalanced_quotes(raw, shown):
        decode_csv(raw, shown)


def check_quotes(raw: bytes, shown: str) -> None:
    """``check_bytes`` but control characters, for a file about to be read by the fast
    path, which finds those among the distinct values of its cells (and hands the file to
    ``decode_csv`` when there are any): the same refusals, without a pass over every byte."""
    if unbalanced_quotes(raw, shown):
        decode_csv(raw, shown)


def decode_lines(raw: bytes, shown: str) -> str:
    """UTF-8 (with or without BOM) or GB18030, decided per line: a file whose lines
    disagree is refused naming them. Fast path: the whole buffer decodes as UTF-8; a
    GB18030 file is decoded whole and checked for lines that are valid UTF-8 (typed in
    another editor, they would become mojibake) with string built-ins per line; only a
    file that fails is decoded line by line, to name the lines."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError as exc:
        _refuse_lines(raw, shown)  # names the line; the whole-file answer if it cannot
        raise KaoheError([Problem(shown, str(raw.count(b"\n", 0, exc.start) + 1), "",
                                  "无法识别文件编码（支持 UTF-8、GB18030）")]) from exc
    # a line of a UTF-8 decode (with replacement) holding non-ASCII text and no replacement
    # character was valid UTF-8 by itself
    if any("\ufffd" not in ln and not ln.isascii()
           for ln in raw.decode("utf-8", "replace").split("\n")):
        _refuse_lines(raw, shown)
    return text


def _refuse_lines(raw: bytes, shown: str) -> None:
    """The slow path of ``decode_lines``: each line's encoding, to name the lines that are
    in neither encoding or that disagree. Raises KaoheError when there are any."""
    utf8, gb, neither = [], [], []
    for n, line in enumerate(raw.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8-sig" if n == 1 else "utf-8")
            utf8.append(n)
            continue
        except UnicodeDecodeError:
            pass
        try:
            line.decode("gb18030")
            gb.append(n)
        except UnicodeDecodeError:
            neither.append(n)
    if neither:
        raise KaoheError([Problem(shown, str(neither[0]), "", "无法识别文件编码（支持 UTF-8、GB18030）")])
    if utf8 and gb:
        raise KaoheError([Problem(
            shown, str(utf8[0]), "",
            f"文件中的行编码不一致：第{_lines(gb)}行是 GB18030（GBK），第{_lines(utf8)}行是 UTF-8"
            "（可能是用不同软件追加的）：请用同一种编码另存整个文件（如 Excel 中另存为"
            "“CSV UTF-8”）")])


def _lines(ns: Sequence[int]) -> str:
    shown = "、".join(str(n) for n in ns[:5])
    return shown + (f" 等 {len(ns)} 行" if len(ns) > 5 else "")


def control_characters(raw: bytes, shown: str) -> list[Problem]:
    """Control characters, each located by line and column (at most ten are listed).
    Fast path: one C pass deleting every other byte leaves nothing."""
    if not raw.translate(None, _NOT_CONTROL):
        return []
    header = _header(raw)
    problems = []
    for m in list(_CONTROL.finditer(raw))[:10]:
        line, col = _where(raw, m.start(), header)
        code = m.group()[0]
        name = _CONTROL_NAMES.get(code, f"控制字符 U+{code:04X}")
        problems.append(Problem(shown, str(line), col,
                                f"含有不可见的{name}（U+{code:04X}）：请删除该字符（换行请用 Alt+Enter，"
                                "或写在一行内）"))
    return problems


def unbalanced_quotes(raw: bytes, shown: str) -> list[Problem]:
    """Quoted cells spanning lines that look like rows (as many commas as the header), and
    quotes never closed. Fast path: every line holds an even number of quotes, so no
    quoted cell can span lines (counted with numpy over the whole buffer)."""
    if b'"' not in raw or not _odd_quote_lines(raw):
        return []
    header = _header(raw)
    commas = max(len(header) - 1, 1)
    problems = []
    pos = raw.find(b'"')
    while pos >= 0:
        if pos and raw[pos - 1] not in b",\n":  # a quote inside a cell is a character
            pos = raw.find(b'"', pos + 1)
            continue
        m = _QUOTED.match(raw, pos)
        assert m is not None  # the pattern matches any opening quote
        body = m.group()
        pos = raw.find(b'"', m.end())
        if b"\n" not in body and m.group(1):
            continue
        first = raw.count(b"\n", 0, m.start()) + 1
        last = first + body.count(b"\n")
        _, col = _where(raw, m.start(), header)
        if not m.group(1):
            problems.append(Problem(shown, str(first), col,
                                    f"英文双引号“\"”没有配对：从第{first}行到文件末尾（第{last}行）"
                                    "都会被读成这一个单元格：请删除或补全该引号"))
            break
        inner = body.split(b"\n")[1:]
        rows = [first + k + 1 for k, ln in enumerate(inner) if ln.count(b",") >= commas]
        if rows:
            problems.append(Problem(shown, str(first), col,
                                    f"英文双引号“\"”没有配对：第{first}行至第{last}行被读成了同一个单元格，"
                                    f"其中第{_lines(rows)}行看起来是单独的一行数据：请删除或补全该引号"))
    return problems


def _odd_quote_lines(raw: bytes) -> bool:
    """Whether a quoted cell might span lines, told from the quotes alone (numpy over the
    whole buffer): some line holds an odd number of ``"``, or a quote stands inside a cell
    (neither at a cell's start, nor before a separator or line end, nor doubled), where it
    is a plain character and line parity says nothing. Otherwise the slow path tells."""
    a = np.frombuffer(raw, dtype=np.uint8)
    quotes = np.flatnonzero(a == ord('"'))
    newlines = np.flatnonzero(a == ord("\n"))
    per_line = np.bincount(np.searchsorted(newlines, quotes))
    if (per_line & 1).any():
        return True
    nl = ord("\n")  # before the first byte and after the last: a line break
    before = np.where(quotes > 0, a[np.maximum(quotes - 1, 0)], nl)
    after = np.where(quotes + 1 < len(a), a[np.minimum(quotes + 1, len(a) - 1)], nl)
    starts = np.isin(before, np.frombuffer(b',\n"', dtype=np.uint8))
    ends = np.isin(after, np.frombuffer(b',\r\n"', dtype=np.uint8))
    return bool((~starts & ~ends).any())


def _header(raw: bytes) -> list[str]:
    first = raw.split(b"\n", 1)[0].decode("utf-8-sig", "replace")
    return [c.strip() for c in next(csv.reader([first]), [])]


def _where(raw: bytes, pos: int, header: list[str]) -> tuple[int, str]:
    """(line, column name) of byte ``pos``: the column counted from the commas before it on
    its line (quotes are not followed: good enough to point at the cell)."""
    line = raw.count(b"\n", 0, pos) + 1
    start = raw.rfind(b"\n", 0, pos) + 1
    k = raw.count(b",", start, pos)
    return line, header[k] if k < len(header) else str(k + 1)


def tidy(df: pd.DataFrame, raw: bytes, shown: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Drop what Excel leaves around a table, with a note: trailing columns without a header
    and without values, rows of separators only. Fast path: neither is there."""
    notes: list[Problem] = []
    unnamed = [c for c in df.columns if str(c).startswith("Unnamed: ") or str(c) == ""]
    if unnamed:
        trailing = []
        for c in reversed(list(df.columns)):
            if c in unnamed and (df[c].astype(str).str.strip() == "").all():
                trailing.append(c)
            else:
                break
        if trailing:
            df = df.drop(columns=trailing)
            notes.append(Problem(shown, "1", "", f"已忽略表格右侧 {len(trailing)} 个空列"
                                 "（无表头、无数据，Excel 另存时常见）"))
    if len(df) and _MAYBE_EMPTY_ROW.search(raw):
        empty = (df.apply(lambda s: s.astype(str).str.strip()) == "").all(axis=1)
        if empty.any():
            lines = [int(i) + 2 for i in df.index[empty]]
            df = df[~empty]
            notes.append(Problem(shown, "", "", f"已忽略 {len(lines)} 个空行（只有逗号）：第{_lines(lines)}行"))
    return df, notes


def headless_columns(df: pd.DataFrame, shown: str) -> list[Problem]:
    """Columns with data but no header (what is left after ``tidy``), each refused where
    its first value is: pandas would call it ``Unnamed: 6``."""
    problems = []
    for k, c in enumerate(df.columns):
        if not (str(c).startswith("Unnamed: ") or str(c) == ""):
            continue
        filled = df.index[df[c].astype(str).str.strip() != ""]
        line = str(int(filled[0]) + 2) if len(filled) else "1"
        value = df.at[filled[0], c] if len(filled) else ""
        problems.append(Problem(shown, line, "", f"第{k + 1}列没有表头，但有数据“{value}”："
                                "请补上表头或删除该列"))
    return problems


def second_header(df: pd.DataFrame, shown: str) -> list[Problem]:
    """Rows that repeat the header (two files pasted together)."""
    if df.empty or len(df.columns) == 0:
        return []
    first = df.columns[0]
    cand = df[df[first].astype(str).str.strip() == str(first)]
    if cand.empty:
        return []
    same = (cand.apply(lambda s: s.astype(str).str.strip()) == [str(c) for c in df.columns]).all(axis=1)
    return [Problem(shown, str(int(i) + 2), "", "这一行重复了表头（可能是两个文件拼接而成）：请删除该行")
            for i in cand.index[same]]


def explain_header(raw: bytes, columns: Sequence[str], expected: Sequence[str],
                   shown: str) -> Problem | None:
    """Why a header lacks the expected columns, when it can be told: another separator, a
    title row above the header, the template's Chinese headers."""
    lines = raw.split(b"\n", 3)[:3]
    head = [ln.decode("utf-8-sig", "replace").strip() for ln in lines]
    want = ",".join(expected)
    first = head[0] if head else ""
    for sep, name in ((";", "分号"), ("\t", "制表符（Tab）"), ("|", "竖线")):
        cells = [c.strip() for c in first.split(sep)]
        if sep in first and "," not in first and set(expected) <= set(cells):
            return Problem(shown, "1", "", f"列之间用的是{name}，不是英文逗号：请另存为逗号分隔的 CSV"
                           f"（表头应为 {want}）")
    for k, ln in enumerate(head[1:], start=2):
        cells = [c.strip() for c in next(csv.reader([ln]), [])]
        if set(expected) <= set(cells):
            return Problem(shown, "1", "", f"表头应在第1行，实际在第{k}行（上方有标题行）：请删除表头上方的行")
    zh = [c for c in columns if str(c) in TEMPLATE_HEADERS]
    if len(zh) >= 2:
        pairs = "、".join(f"{c}→{TEMPLATE_HEADERS[str(c)]}" for c in zh)
        return Problem(shown, "1", "", f"表头是填报模板的中文列名（{pairs}）：数据目录的 CSV 须用英文列名 "
                       f"{want}；填好的模板请用 kaohe import 导入")
    return None


_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_EOF_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")


def parser_problem(exc: Exception, shown: str) -> Problem:
    """A pandas / csv parser error in Chinese, with its line when the parser gives one."""
    m = _FIELDS.search(str(exc))
    if m:
        want, line, saw = m.groups()
        return Problem(shown, line, "", f"该行有 {saw} 列，表头只有 {want} 列：单元格中的英文逗号须在"
                       "整个单元格两侧加英文双引号，或改用中文逗号“，”")
    m = _EOF_QUOTE.search(str(exc))
    if m:  # the parser counts lines from 0
        return Problem(shown, str(int(m.group(1)) + 1), "", "此行的英文双引号没有闭合，其后各行都会被读进"
                       "同一个单元格：请删除多余的引号，或在单元格末尾补上引号")
    if "new-line character seen in unquoted field" in str(exc):
        return Problem(shown, "", "", "单元格中有单独的回车符（CR）：请在 Excel 中另存为 CSV 后再试")
    return Problem(shown, "", "", "CSV 格式错误：无法按逗号分隔的表格读取（请在 Excel 中打开检查后另存为 CSV）")


def extra_fields(text: str, shown: str) -> Problem:
    """The first row with more cells than the header: pandas would silently make the first
    column an index (every cell shifted one column) when it is the first data row."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader, [])
        line = reader.line_num + 1
        for record in reader:
            if len(record) > len(header):
                return Problem(shown, str(line), "", f"该行有 {len(record)} 列，表头只有 {len(header)} 列："
                               "单元格中的英文逗号须在整个单元格两侧加英文双引号，或改用中文逗号“，”")
            line = reader.line_num + 1
    except csv.Error as exc:  # e.g. a lone carriage return before the longer row is reached
        return Problem(shown, str(reader.line_num), "", parser_problem(exc, shown).message)
    return Problem(shown, "2", "", "有的行比表头多出列：请检查单元格中的英文逗号")

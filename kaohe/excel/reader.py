"""Read filled templates (.xlsx) and plain CSVs into raw rows, each cell with its location.

Only the structure is checked here — is this a kaohe template of this scheme-year, are the
sheets and columns those of the template, are there merged cells, formulas or error values —
because those make a row unreadable as a whole. What a cell means is checked by
``kaohe.excel.importer`` with the rubric. Every problem names the file, the sheet, the cell
and what is wrong; a malformed file is a located problem, never a traceback.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.worksheet import Worksheet

from ..dataset import read_csv_text
from ..errors import KaoheError, Problem, display_path
from ..normalize import is_blank
from ..office.digests import META_ROW, indicator_digest, what_changed
from ..rubric import LoadedRubric
from ..schemas import TABLES, columns_of
from . import layout

IMPORTABLE = ("observations", "events", "not_applicable")


@dataclass(frozen=True)
class RawRow:
    """One row as written: raw cell values by key, where each came from, and the context
    the file gives it (an events sheet's indicator, a template's department)."""

    table: str  # observations | events | not_applicable
    file: str  # the file as shown, with [sheet] for a workbook
    origin: str  # the file alone (rows of two sheets of one workbook share it)
    line: int  # the Excel row or the CSV line
    cells: dict[str, object]
    columns: dict[str, str]  # key -> the column as shown in messages
    letters: dict[str, str] = field(default_factory=dict)  # key -> Excel column letter
    indicator: str | None = None  # fixed by an events sheet
    department: str | None = None  # the template's department

    def at(self, key: str, message: str) -> Problem:
        """A problem located at this row's cell ``key`` (the whole row for key '')."""
        column = self.columns.get(key, "")
        letter = self.letters.get(key)
        if letter:
            message = f"单元格{letter}{self.line}：{message}"
        return Problem(self.file, str(self.line), column, message)


@dataclass
class Read:
    """What reading files gave: rows, problems, notes, and rows per file for the accounting."""

    rows: list[RawRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    counted: dict[str, int] = field(default_factory=dict)  # file label -> rows read
    refused: dict[str, int] = field(default_factory=dict)  # file label -> rows refused whole
    # template file -> (department, indicator ids it returns), for returns.csv
    returns: dict[str, tuple[str, list[str]]] = field(default_factory=dict)

    def extend(self, other: Read) -> None:
        self.returns.update(other.returns)
        self.rows += other.rows
        self.problems += other.problems
        self.notes += other.notes
        for k, v in other.counted.items():
            self.counted[k] = self.counted.get(k, 0) + v
        for k, v in other.refused.items():
            self.refused[k] = self.refused.get(k, 0) + v


def read_files(paths: Sequence[Path], loaded: LoadedRubric, key: str) -> Read:
    """Every file, in the order given; problems of all of them together."""
    out = Read()
    for path in paths:
        out.extend(read_file(Path(path), loaded, key))
    return out


def read_file(path: Path, loaded: LoadedRubric, key: str) -> Read:
    shown = display_path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        return Read(problems=[Problem(shown, "", "", "文件不存在")])
    if suffix == ".csv":
        return read_csv(path, shown)
    if suffix in (".xlsx", ".xlsm"):
        return read_workbook(path, shown, loaded, key)
    if suffix == ".xls":
        return Read(problems=[Problem(shown, "", "", "不支持 .xls（Excel 97-2003）格式："
                                                    "请在 Excel 中另存为 .xlsx 后导入")])
    return Read(problems=[Problem(shown, "", "", f"不支持的文件类型“{path.suffix or '无扩展名'}”："
                                                "只能导入 kaohe 模板（.xlsx）或 CSV（.csv）")])


# -- CSV ------------------------------------------------------------------------------------


def read_csv(path: Path, shown: str) -> Read:
    notes: list[Problem] = []
    try:
        text = read_csv_text(path, shown, notes)
    except KaoheError as exc:
        return Read(problems=list(exc.problems))
    table = _which_table(path, list(text.columns))
    if table is None:
        names = "、".join(TABLES[t].file for t in IMPORTABLE)
        return Read(problems=[Problem(shown, "1", "", f"无法判断是哪张表：文件名和表头都与 {names} 不符"
                                                      f"（表头为：{'、'.join(map(str, text.columns))}）")],
                    counted={shown: len(text)}, refused={shown: len(text)})
    expected = columns_of(TABLES[table].model)
    problems = _header_problems(shown, list(text.columns), expected, lambda c: c,
                                lambda i: str(i + 1))
    if problems:
        return Read(problems=problems, notes=notes, counted={shown: len(text)},
                    refused={shown: len(text)})
    rows = []
    for idx, record in zip(text.index, text.to_dict("records"), strict=True):
        cells = {c: (None if v == "" else v) for c, v in record.items()}
        rows.append(RawRow(table, shown, shown, int(idx) + 2, cells, {c: c for c in expected}))
    return Read(rows=rows, notes=notes, counted={shown: len(rows)})


def _which_table(path: Path, header: list[str]) -> str | None:
    """The table a CSV holds: by its file name (observations.csv …), else by its header."""
    for name in IMPORTABLE:
        if path.stem == Path(TABLES[name].file).stem:
            return name
    for name in IMPORTABLE:
        if set(header) == set(columns_of(TABLES[name].model)):
            return name
    return None


def _header_problems(file: str, header: list[str], expected: list[str], label,
                     position) -> list[Problem]:
    """Missing, extra and moved columns of a header, each located: ``label`` shows an expected
    column, ``position`` the place (0-based) of a column found."""
    problems = []
    for c in expected:
        if c not in header:
            problems.append(Problem(file, "1", label(c), f"缺少列“{c}”"))
    for i, c in enumerate(header):
        if c not in expected:
            shown = c if c else "（空白表头）"
            problems.append(Problem(file, "1", position(i), f"多出未定义的列“{shown}”"))
    if not problems and header != expected:
        problems.append(Problem(file, "1", "", "列的顺序与模板不符：应为 " + "、".join(expected)))
    return problems


# -- workbooks ------------------------------------------------------------------------------


def read_workbook(path: Path, shown: str, loaded: LoadedRubric, key: str) -> Read:
    if path.stat().st_size == 0:
        return Read(problems=[Problem(shown, "", "", "文件为空（0 字节）")])
    refused = _unsafe_workbook(path, shown)
    if refused:
        return Read(problems=[refused])
    try:
        wb = load_workbook(path, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, IndexError,
            AttributeError, EOFError) as exc:
        return Read(problems=[Problem(shown, "", "", f"不是有效的 Excel 工作簿（.xlsx）：{_why(exc)}")])
    except Exception as exc:  # noqa: BLE001  openpyxl raises many kinds on damaged files
        return Read(problems=[Problem(shown, "", "", f"无法读取该 Excel 工作簿：{_why(exc)}")])
    if layout.META not in wb.sheetnames:
        return Read(problems=[Problem(shown, "", "", "不是 kaohe 生成的填报模板（缺少隐藏的元数据表）："
                                                    "请用 kaohe template 生成模板，或导入 CSV")])
    meta, sheets = _meta(wb[layout.META])
    out = Read()
    out.problems += _check_meta(shown, meta, loaded, key)
    recorded = template_digests(wb[layout.META])
    if not out.problems and recorded:
        out.problems += stale_indicators(shown, recorded, loaded)
        if not out.problems and meta.get("rubric_sha256") != loaded.sha256:
            out.notes.append(Problem(shown, "", "", "模板生成后评分细则已修改，但本模板各指标的分值、"
                                                    "评分规则和参数未变：照常导入"))
    elif meta.get("rubric_sha256") and meta.get("rubric_sha256") != loaded.sha256 \
            and not out.problems:
        out.notes.append(Problem(shown, "", "", "模板生成后评分细则已修改：已按当前评分细则逐行校验"))
    out.returns[shown] = (meta.get("department", ""), list(recorded))  # logged even if refused
    expected = {name for name, _, _ in sheets} | {layout.INSTRUCTIONS, layout.LISTS, layout.META}
    extra = [n for n in wb.sheetnames if n not in expected]
    for name in extra:
        out.problems.append(Problem(f"{shown}[{name}]", "", "",
                                    f"工作表“{name}”不是模板中的工作表：请把数据移回原工作表并删除它"))
    department = meta.get("department") or None
    wrong_file = bool(out.problems)
    for name, table, indicator in sheets:
        label = f"{shown}[{name}]"
        if name not in wb.sheetnames:
            hint = f"；工作簿中现有：{'、'.join(extra)}" if extra else ""
            out.problems.append(Problem(label, "", "", f"找不到工作表“{name}”（可能被改名或删除{hint}）"))
            continue
        ws = wb[name]
        got = _read_sheet(ws, label, shown, table, indicator, department, loaded)
        if wrong_file:  # the file is not for this scheme-year: every row refused with it
            got.refused[label] = got.counted.get(label, 0)
            got.rows, got.problems = [], [p for p in got.problems if p.row == "1"]
        out.extend(got)
    return out


# a filled template is a few MiB unpacked; beyond these it is not one (or a zip bomb) and
# loading it would freeze an office PC
MAX_UNPACKED = 200 * 2**20
MAX_RATIO = 200  # unpacked / packed: sheet XML packs about 10-20 times
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # how an encrypted .xlsx (and an old .xls) starts


def _unsafe_workbook(path: Path, shown: str) -> Problem | None:
    """A password-protected workbook, or one that unpacks to more than a template can be,
    refused before openpyxl reads it."""
    with open(path, "rb") as f:
        head = f.read(2**16)
    if head.startswith(_OLE):
        if "EncryptedPackage".encode("utf-16-le") in head or b"EncryptedPackage" in head \
                or "EncryptedPackage".encode("utf-16-le") in path.read_bytes():
            return Problem(shown, "", "", "工作簿设置了打开密码，无法读取：请在 Excel 中取消密码"
                           "（文件→信息→保护工作簿→用密码进行加密，清空密码）后保存再导入")
        return None  # an old .xls renamed: openpyxl says it is not a zip file
    try:
        with zipfile.ZipFile(path) as z:
            unpacked = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError):
        return None  # reported by load_workbook's own message
    packed = max(path.stat().st_size, 1)
    if unpacked > MAX_UNPACKED or unpacked > MAX_RATIO * packed and unpacked > 2**20 * 20:
        return Problem(shown, "", "", f"工作簿解压后有 {unpacked / 2**20:,.0f} MB，超过填报模板的上限 "
                       f"{MAX_UNPACKED // 2**20} MB（可能含有大量空行或异常内容）：请只保留模板中的工作表和数据后另存")
    return None


def _why(exc: Exception) -> str:
    text = str(exc).strip()
    return (text[:200] if text else type(exc).__name__)


def _meta(ws: Worksheet) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    meta: dict[str, str] = {}
    sheets = []
    for row in ws.iter_rows(values_only=True):
        if not row or row[0] is None or row[0] == META_ROW:
            continue
        cells = ["" if v is None else str(v) for v in row]
        if cells[0] == "sheet" and len(cells) >= 3:
            sheets.append((cells[1], cells[2], cells[3] if len(cells) > 3 else ""))
        else:
            meta[cells[0]] = cells[1] if len(cells) > 1 else ""
    return meta, sheets


def template_digests(ws: Worksheet) -> dict[str, tuple[str, dict]]:
    """Indicator id → (digest, terms) recorded by the template writer (none: an older template)."""
    out = {}
    for row in ws.iter_rows(values_only=True):
        if row and row[0] == META_ROW and len(row) >= 4 and row[1]:
            try:
                terms = json.loads(str(row[3]))
            except ValueError:
                terms = {}
            out[str(row[1])] = (str(row[2] or ""), terms if isinstance(terms, dict) else {})
    return out


def stale_indicators(shown: str, recorded: dict[str, tuple[str, dict]],
                     loaded: LoadedRubric) -> list[Problem]:
    """Indicators whose points, rule or parameters changed after the template was made."""
    problems = []
    again = f"请用 kaohe template {loaded.path} --out <目录> 生成新模板，按新模板重新填报"
    for ind, (digest, terms) in recorded.items():
        try:
            node = loaded.rubric.node(ind)
        except KeyError:
            problems.append(Problem(shown, "", "", f"指标“{ind}”在模板生成后已从评分细则中删除：{again}"))
            continue
        if digest != indicator_digest(node):
            changed = "；".join(what_changed(terms, node))
            problems.append(Problem(shown, "", "", f"指标“{ind}”（{node.name}）在模板生成后已修改"
                                                   f"（{changed}）：模板已过期，不导入。{again}"))
    return problems


def _check_meta(shown: str, meta: dict[str, str], loaded: LoadedRubric, key: str) -> list[Problem]:
    r = loaded.rubric
    if meta.get("format") != layout.FORMAT:
        return [Problem(shown, "", "", f"模板格式“{meta.get('format', '')}”不是本版本 kaohe 的"
                                       f"（{layout.FORMAT}）：请重新生成模板")]
    problems = []
    if meta.get("scheme") != r.scheme:
        problems.append(Problem(shown, "", "", f"模板属于考核方案“{meta.get('scheme', '')}”，"
                                               f"不是“{r.scheme}”（{loaded.path}）"))
    if meta.get("key") != key:
        problems.append(Problem(shown, "", "", f"模板属于“{meta.get('key', '')}”年度，"
                                               f"不是“{key}”年度（{loaded.path}）：请用本年度的模板"))
    return problems


def _columns_for(table: str, indicator: str, loaded: LoadedRubric) -> tuple[layout.Column, ...] | None:
    if table == "observations":
        return layout.OBS_COLUMNS
    try:
        node = loaded.rubric.node(indicator)
    except KeyError:
        return None
    if node.rule is None or node.rule.reads != "events":
        return None
    return layout.event_columns(node.rule)


def _read_sheet(ws: Worksheet, label: str, origin: str, table: str, indicator: str,
                department: str | None, loaded: LoadedRubric) -> Read:
    out = Read()
    cols = _columns_for(table, indicator, loaded)
    if cols is None:
        out.problems.append(Problem(label, "", "", f"工作表对应的指标“{indicator}”已不在评分细则中，"
                                                   "或不再读取事件：请重新生成模板"))
        return out
    width = len(cols)
    grid = list(ws.iter_rows(min_row=1, max_row=max(ws.max_row, 1)))
    header = [_text(c.value) for c in grid[0]] if grid else []
    while header and header[-1] == "":
        header.pop()
    n_rows = sum(1 for row in grid[1:] if not _empty(row))
    out.counted[label] = n_rows
    head = _header_problems(label, header, [c.header for c in cols],
                            lambda h: next(f"{get_column_letter(j)}（{h}）"
                                           for j, c in enumerate(cols, start=1) if c.header == h),
                            lambda i: get_column_letter(i + 1))
    if head:
        out.problems += head
        out.refused[label] = n_rows
        return out
    merged_rows: set[int] = set()
    for rng in ws.merged_cells.ranges:
        out.problems.append(Problem(label, str(rng.min_row), "",
                                    f"合并单元格 {rng.coord}：数据区不能合并单元格，请取消合并后逐格填写"))
        merged_rows.update(range(max(rng.min_row, 2), rng.max_row + 1))
    letters = {c.key: get_column_letter(j) for j, c in enumerate(cols, start=1)}
    shown_cols = {c.key: f"{letters[c.key]}（{c.header}）" for c in cols}
    for row in grid[1:]:
        if _empty(row):
            continue
        line = row[0].row
        cells: dict[str, object] = {}
        bad = False
        for j, col in enumerate(cols):
            cell = row[j] if j < len(row) else None
            value, problem = _cell_value(cell, label, shown_cols[col.key])
            if problem is not None:
                out.problems.append(problem)
                bad = True
            cells[col.key] = value
        for cell in row[width:]:
            if not is_blank(cell.value):
                out.problems.append(Problem(label, str(line), get_column_letter(cell.column),
                                            f"单元格{cell.coordinate}：模板的列之外有数据"
                                            f"“{_text(cell.value)[:30]}”：请删除或移入相应的列"))
                bad = True
        if line in merged_rows:
            bad = True
        if bad:
            cells = {k: None for k in cells} | {"_refused": True}
        out.rows.append(RawRow(table, label, origin, line, cells, shown_cols, letters,
                               indicator or None, department))
    return out


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _empty(row: Sequence[Cell]) -> bool:
    return all(is_blank(c.value) for c in row)


def _cell_value(cell: Cell | None, label: str, column: str) -> tuple[object, Problem | None]:
    """A cell's value as read; formulas and error values are refused (see docs/bad-inputs.md)."""
    if cell is None:
        return None, None
    value = cell.value
    where = f"单元格{cell.coordinate}："
    if isinstance(value, ArrayFormula) or cell.data_type == "f":
        text = value.text if isinstance(value, ArrayFormula) else str(value)
        return None, Problem(label, str(cell.row), column,
                             f"{where}是公式（{text[:40]}）：请改为数值（复制后“选择性粘贴→数值”）")
    if cell.data_type == "e":
        return None, Problem(label, str(cell.row), column, f"{where}是错误值 {value}：请填写数值")
    if isinstance(value, (int, float)) and not isinstance(value, bool) \
            and "%" in (cell.number_format or ""):
        return f"{repr(round(float(value) * 100, 10))}%", None  # what the user typed: 85%
    return value, None


__all__ = ["RawRow", "Read", "read_files", "read_file", "IMPORTABLE"]
